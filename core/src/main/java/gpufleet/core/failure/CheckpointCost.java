package gpufleet.core.failure;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one checkpoint of a model costs: the bytes of its state, the stall training pays, the
 * background time until the checkpoint is safe, and the time to read it back. The planner and the
 * twin's workload files both use {@link #of}, so that a job's checkpoint is priced the same in both.
 *
 * <p><b>Bytes.</b> Mixed-precision Adam keeps, per parameter, BF16 weights (2 bytes), FP32 master
 * weights (4) and two FP32 moments (8): {@value #BYTES_PER_PARAM} bytes (the same state the planner's
 * memory model holds, gpufleet.core.plan.MemoryModel; gradients are not saved). A sharded
 * checkpoint writes each byte once, so the job writes {@code 14 x params} in all and each GPU
 * {@code 14 x params / gpus} of it.
 *
 * <p><b>Synchronous</b> checkpointing stalls training for the whole write:
 * {@code stall = bytes / write bandwidth}, nothing persists afterwards.
 *
 * <p><b>Asynchronous</b> checkpointing stalls only while each GPU copies its shard to host memory,
 * then writes it from there in the background (PyTorch Distributed Checkpoint's {@code async_save}:
 * "first copying models into internal CPU-buffers"):
 * {@code stall = bytes / gpus / staging bandwidth}, {@code persist = bytes / write bandwidth}.
 *
 * <p><b>Restore</b> reads the whole state back: {@code bytes / read bandwidth}.
 *
 * @param bytes      bytes of one checkpoint
 * @param stallSec   seconds training stalls per checkpoint
 * @param persistSec seconds after the stall until the checkpoint is safe in storage (0: synchronous)
 * @param restoreSec seconds to read it back after a restart
 */
public record CheckpointCost(double bytes, double stallSec, double persistSec, double restoreSec) {
    /** Bytes of checkpoint state per parameter; see the class comment. */
    public static final double BYTES_PER_PARAM = 14;

    /**
     * Where checkpoints go and how.
     *
     * @param writeGBps   aggregate write bandwidth to storage the job gets, GB/s
     * @param readGBps    aggregate read bandwidth on restore, GB/s
     * @param stagingGBps per-GPU rate of the blocking copy of an asynchronous checkpoint, GB/s
     * @param async       asynchronous checkpointing
     */
    public record Storage(double writeGBps, double readGBps, double stagingGBps, boolean async) {
        /** Meta's Tectonic for Llama 3, synchronous; see {@link #SOURCES}. */
        public static final Storage DEFAULT = new Storage(2000, 2000, 0.68, false);

        public Storage {
            for (double v : new double[] {writeGBps, readGBps, stagingGBps})
                if (!(v > 0) || v > 1e7) throw new IllegalArgumentException("storage bandwidths must be in (0, 1e7] GB/s, got " + v);
        }

        public Storage withAsync(boolean a) {
            return new Storage(writeGBps, readGBps, stagingGBps, a);
        }
    }

    /** Where each default of {@link Storage#DEFAULT} comes from. */
    public static final Map<String, String> SOURCES;

    static {
        var m = new LinkedHashMap<String, String>();
        m.put("write", "2,000 GB/s: Meta's Tectonic storage sustains 2 TB/s for Llama 3 checkpoints (Dubey et al., "
                + "arXiv:2407.21783, sec. 3.3.1); assumption: one job gets all of it");
        m.put("read", "2,000 GB/s: assumption, reads run at the sustained write rate");
        m.put("staging", "0.68 GB/s per GPU: calibrated on the one published measurement we found, PyTorch DCP "
                + "async_save of Llama 3 70B on 1,856 H200 GPUs blocking training for 0.78 s (PyTorch blog, \"6x "
                + "faster Async Checkpointing in PyTorch\", 2025): 14 x 70e9 bytes / 1,856 GPUs / 0.78 s; the copy "
                + "itself would take a few ms over PCIe, the rest is coordination, which this rate folds in");
        SOURCES = java.util.Collections.unmodifiableMap(m);
    }

    public CheckpointCost {
        if (!(bytes >= 0) || !(stallSec >= 0) || !(persistSec >= 0) || !(restoreSec >= 0))
            throw new IllegalArgumentException("checkpoint bytes and times must be >= 0");
    }

    /** Bytes of one checkpoint of a model of {@code params} parameters. */
    public static double stateBytes(double params) {
        return BYTES_PER_PARAM * params;
    }

    /** The cost of checkpointing a model of {@code params} parameters trained on {@code gpus} GPUs. */
    public static CheckpointCost of(double params, int gpus, Storage s) {
        if (!(params > 0)) throw new IllegalArgumentException("params must be > 0, got " + params);
        if (gpus < 1) throw new IllegalArgumentException("gpus must be >= 1, got " + gpus);
        double bytes = stateBytes(params);
        double write = bytes / (s.writeGBps() * 1e9);
        double restore = bytes / (s.readGBps() * 1e9);
        if (!s.async()) return new CheckpointCost(bytes, write, 0, restore);
        return new CheckpointCost(bytes, bytes / gpus / (s.stagingGBps() * 1e9), write, restore);
    }
}
