package gpufleet.protocol;

import java.util.List;

/**
 * What {@code GET /jobs/{id}} adds after the {@link JobView}'s fields.
 *
 * @param ettr   effective training time ratio so far: the share of the time since the first start not
 *               lost to interruptions; null before the first start
 * @param events the job's events, oldest first
 */
public record JobDetailView(Double ettr, List<JobEventView> events) {
    public JobDetailView {
        events = events == null ? List.of() : List.copyOf(events);
    }
}
