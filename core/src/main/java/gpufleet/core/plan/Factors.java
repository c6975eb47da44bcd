package gpufleet.core.plan;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every efficiency factor and storage assumption the planner uses, by name, with its default and
 * where the default comes from ({@link #SOURCES}). All can be overridden per run.
 *
 * @param gemmEfficiency      achieved fraction of the GPU's dense BF16 peak on the transformer's matrix
 *                            multiplications and the kernels between them
 * @param nvlinkEfficiency    achieved fraction of one direction of the datasheet NVLink bandwidth
 *                            (datasheets state both directions together; the planner halves them)
 * @param nicEfficiency       achieved fraction of the NIC's line rate in collectives across hosts
 * @param tpOverlap           fraction of tensor-parallel communication hidden under compute
 * @param cpOverlap           fraction of context-parallel K/V all-gather hidden under compute
 * @param dpOverlap           fraction of the data-parallel gradient reduce-scatter and parameter
 *                            all-gather hidden under compute
 * @param memoryReserveGb     GPU memory no layout may use: CUDA context, NCCL buffers, allocator
 *                            fragmentation
 * @param gradReduceBytes     bytes per gradient element in the data-parallel reduce-scatter (4 = fp32)
 * @param storageWriteGBps    aggregate checkpoint write bandwidth the job gets, GB/s
 * @param storageReadGBps     aggregate checkpoint read bandwidth on restart, GB/s
 * @param restartOverheadSec  seconds to relaunch a job after an interruption, before restoring state
 * @param stagingGBps         per-GPU rate of an asynchronous checkpoint's blocking copy to host memory
 * @param asyncCheckpoint     checkpoints are asynchronous: training stalls only for the copy
 *                            ({@link gpufleet.core.failure.CheckpointCost})
 */
public record Factors(double gemmEfficiency, double nvlinkEfficiency, double nicEfficiency, double tpOverlap,
                      double cpOverlap, double dpOverlap, double memoryReserveGb, double gradReduceBytes,
                      double storageWriteGBps, double storageReadGBps, double restartOverheadSec,
                      double stagingGBps, boolean asyncCheckpoint) {

    public static final Factors DEFAULT = new Factors(0.58, 0.80, 0.80, 0.0, 0.0, 0.5, 4, 4, 2000, 2000, 600);

    /** Synchronous checkpoints, the default staging rate. */
    public Factors(double gemmEfficiency, double nvlinkEfficiency, double nicEfficiency, double tpOverlap,
                   double cpOverlap, double dpOverlap, double memoryReserveGb, double gradReduceBytes,
                   double storageWriteGBps, double storageReadGBps, double restartOverheadSec) {
        this(gemmEfficiency, nvlinkEfficiency, nicEfficiency, tpOverlap, cpOverlap, dpOverlap, memoryReserveGb,
                gradReduceBytes, storageWriteGBps, storageReadGBps, restartOverheadSec,
                gpufleet.core.failure.CheckpointCost.Storage.DEFAULT.stagingGBps(), false);
    }

    /** The checkpoint storage these factors describe. */
    public gpufleet.core.failure.CheckpointCost.Storage storage() {
        return new gpufleet.core.failure.CheckpointCost.Storage(storageWriteGBps, storageReadGBps, stagingGBps,
                asyncCheckpoint);
    }

    /** Where each default comes from; "assumption" marks a figure with no public measurement behind it. */
    public static final Map<String, String> SOURCES;

    static {
        var m = new LinkedHashMap<String, String>();
        m.put("gemm-efficiency", "0.58: calibrated on one published run, Llama 3 405B on 16,384 H100 (arXiv:2407.21783 "
                + "Table 4, 400 TFLOP/s); the errors on the other published runs are in docs/planner.md");
        m.put("nvlink-efficiency", "0.80 of one direction (450 GB/s on H100): assumption, NCCL all-reduce bus "
                + "bandwidth inside an 8-GPU NVLink host typically reaches 75-85% of it");
        m.put("nic-efficiency", "0.80 of line rate: assumption, the usual ring bus bandwidth of RoCE/InfiniBand NICs");
        m.put("tp-overlap", "0: Megatron-LM's tensor-parallel collectives sit on the critical path unless "
                + "communication overlap is turned on (Narayanan et al. SC'21 sec. 3.2)");
        m.put("cp-overlap", "0: Llama 3 all-gathers K and V before attention and notes the all-gather is exposed "
                + "but small under GQA (arXiv:2407.21783 sec. 3.3.2)");
        m.put("dp-overlap", "0.5: assumption; with pipelining only the last micro-batch's backward can hide the "
                + "gradient reduce-scatter and the first forward the parameter all-gather");
        m.put("memory-reserve-gb", "4 GB: assumption for the CUDA context, NCCL buffers and fragmentation");
        m.put("grad-reduce-bytes", "4: gradients reduce-scattered in FP32, as Llama 3 did (arXiv:2407.21783 "
                + "sec. 3.3.2, numerical stability) and Megatron-LM does by default for BF16");
        m.put("storage-write-gbps", "2,000 GB/s: Meta's Tectonic storage sustains 2 TB/s (arXiv:2407.21783 sec. "
                + "3.3.1); assumption: one job gets all of it and training stalls during the write");
        m.put("storage-read-gbps", "2,000 GB/s: assumption, reads run at the sustained write rate");
        m.put("staging-gbps", gpufleet.core.failure.CheckpointCost.SOURCES.get("staging"));
        m.put("restart-overhead", "600 s: assumption, relaunch and collective set-up on new hosts; Llama 3 "
                + "reports cutting start-up time but gives no figure");
        SOURCES = java.util.Collections.unmodifiableMap(m);
    }

    public Factors {
        fraction("gemm-efficiency", gemmEfficiency, false);
        fraction("nvlink-efficiency", nvlinkEfficiency, false);
        fraction("nic-efficiency", nicEfficiency, false);
        fraction("tp-overlap", tpOverlap, true);
        fraction("cp-overlap", cpOverlap, true);
        fraction("dp-overlap", dpOverlap, true);
        if (!(memoryReserveGb >= 0) || memoryReserveGb > 1000)
            throw new IllegalArgumentException("memory reserve must be in [0, 1000] GB, got " + memoryReserveGb);
        if (gradReduceBytes != 2 && gradReduceBytes != 4)
            throw new IllegalArgumentException("gradient reduce bytes must be 2 (bf16) or 4 (fp32), got " + gradReduceBytes);
        if (!(storageWriteGBps > 0) || storageWriteGBps > 1e7 || !(storageReadGBps > 0) || storageReadGBps > 1e7
                || !(stagingGBps > 0) || stagingGBps > 1e7)
            throw new IllegalArgumentException("storage bandwidths must be in (0, 1e7] GB/s");
        if (!(restartOverheadSec >= 0) || restartOverheadSec > 86_400)
            throw new IllegalArgumentException("restart overhead must be in [0, 86400] s, got " + restartOverheadSec);
    }

    private static void fraction(String name, double v, boolean zeroOk) {
        if (!(zeroOk ? v >= 0 : v > 0) || v > 1)
            throw new IllegalArgumentException(name + " must be in " + (zeroOk ? "[0, 1]" : "(0, 1]") + ", got " + v);
    }

    public Factors withGemmEfficiency(double v) {
        return new Factors(v, nvlinkEfficiency, nicEfficiency, tpOverlap, cpOverlap, dpOverlap, memoryReserveGb,
                gradReduceBytes, storageWriteGBps, storageReadGBps, restartOverheadSec, stagingGBps, asyncCheckpoint);
    }
}
