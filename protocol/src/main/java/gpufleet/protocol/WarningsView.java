package gpufleet.protocol;

import java.util.List;

/** What {@code POST /jobs} adds after the {@link JobView}'s fields: what the submitter should know, one line each. */
public record WarningsView(List<String> warnings) {
    public WarningsView {
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }
}
