package gpufleet.sim.trace;

import java.util.List;

/**
 * gpufleet's own trace format, the target for converting other traces (docs/trace-formats.md):
 * {@code id,submit_time,duration,gpus,group[,name]}, times in seconds. Ids are unique non-negative
 * integers; an empty group is {@code "default"}; an absent or empty name is the id.
 */
final class GpufleetReader extends CsvTraceReader {
    static final List<String> COLUMNS = List.of("id", "submit_time", "duration", "gpus", "group");
    static final List<String> COLUMNS_WITH_NAME = List.of("id", "submit_time", "duration", "gpus", "group", "name");

    GpufleetReader() {
        super("gpufleet", COLUMNS.toArray(String[]::new));
    }

    @Override
    public boolean acceptsHeader(List<String> header) {
        return header.equals(COLUMNS) || header.equals(COLUMNS_WITH_NAME);
    }

    @Override
    public String expectedHeader() {
        return "id,submit_time,duration,gpus,group[,name]";
    }

    @Override
    Parsed parse(Row row) {
        String id = Integer.toString(row.integerAtLeast(0, 0));
        double submit = row.nonNegative(1);
        double duration = row.positive(2);
        int gpus = row.integerAtLeast(3, 1);
        String group = row.textOr(4, "default");
        String name = row.size() > 5 ? row.textOr(5, id) : id;
        return new Parsed.Job(name, id, "id", submit, duration, gpus, group, List.of(), null);
    }

    @Override
    String epoch(double firstSubmit) {
        return relativeEpoch(firstSubmit);
    }
}
