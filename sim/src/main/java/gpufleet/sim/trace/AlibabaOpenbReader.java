package gpufleet.sim.trace;

import java.util.ArrayList;
import java.util.List;

/**
 * Alibaba PAI GPU cluster pods (clusterdata cluster-trace-gpu-v2023, "openb"):
 * {@code name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time},
 * times in seconds from the trace start.
 *
 * <p>Submit is {@code creation_time}; run time is {@code deletion_time - scheduled_time}, or
 * {@code - creation_time} for a pod never scheduled (note {@value #NEVER_SCHEDULED}). CPU-only pods
 * ({@code num_gpu = 0}) are skipped ({@value #CPU_ONLY}) without checking their other fields. A GPU pod
 * asking for a share of a GPU ({@code gpu_milli < 1000}) is replayed as whole GPUs (note {@value #FRACTIONAL_GPU}),
 * since the twin does not share GPUs. Group is {@code qos}. Pod names must be unique.
 */
final class AlibabaOpenbReader extends CsvTraceReader {
    static final String CPU_ONLY = "cpu-only";
    static final String FRACTIONAL_GPU = "fractional-gpu";
    static final String NEVER_SCHEDULED = "never-scheduled";

    AlibabaOpenbReader() {
        super("alibaba-openb", "name", "cpu_milli", "memory_mib", "num_gpu", "gpu_milli", "gpu_spec", "qos",
                "pod_phase", "creation_time", "deletion_time", "scheduled_time");
    }

    @Override
    Parsed parse(Row row) {
        String name = row.text(0);
        int gpus = row.integerAtLeast(3, 0);
        if (gpus == 0) return new Parsed.Skip(CPU_ONLY);
        int milli = row.integerAtLeast(4, 1);
        if (milli > 1000) throw new BadRow("gpu_milli must be <= 1000, got " + row.raw(4));
        String group = row.textOr(6, "default");
        double created = row.nonNegative(8);
        double deleted = row.number(9);
        boolean scheduled = !row.raw(10).isEmpty();
        double start = scheduled ? row.nonNegative(10) : created;
        double duration = deleted - start;
        if (!(duration > 0))
            throw new BadRow("run time deletion_time - " + (scheduled ? "scheduled_time" : "creation_time") + " = "
                    + row.raw(9) + " - " + row.raw(scheduled ? 10 : 8) + " must be > 0");
        List<String> notes = new ArrayList<>(2);
        if (milli < 1000) notes.add(FRACTIONAL_GPU);
        if (!scheduled) notes.add(NEVER_SCHEDULED);
        return new Parsed.Job(name, name, "name", created, duration, gpus, group, notes, null);
    }

    @Override
    String epoch(double firstSubmit) {
        return relativeEpoch(firstSubmit);
    }
}
