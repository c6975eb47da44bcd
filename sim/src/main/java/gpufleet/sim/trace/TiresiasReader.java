package gpufleet.sim.trace;

import java.util.List;

/**
 * The Tiresias simulator's input: {@code job_id,num_gpu,submit_time,iterations,model_name,duration,interval},
 * times in seconds relative to the first job. {@code iterations}, {@code model_name} and {@code interval}
 * are not used (and not checked beyond being present). {@code job_id} must be unique.
 */
final class TiresiasReader extends CsvTraceReader {

    TiresiasReader() {
        super("tiresias", "job_id", "num_gpu", "submit_time", "iterations", "model_name", "duration", "interval");
    }

    @Override
    Parsed parse(Row row) {
        String id = row.text(0);
        int gpus = row.integerAtLeast(1, 1);
        double submit = row.nonNegative(2);
        double duration = row.positive(5);
        return new Parsed.Job(id, id, "job_id", submit, duration, gpus, "default", List.of(), null);
    }

    @Override
    String epoch(double firstSubmit) {
        return relativeEpoch(firstSubmit);
    }
}
