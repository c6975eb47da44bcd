package gpufleet.core.plan;

/**
 * One evaluated layout: how fast a step runs, how long the whole run takes with and without
 * failures, and what it costs.
 *
 * @param layout            the layout
 * @param memory            peak memory per GPU
 * @param step              one step's time by part
 * @param tokensPerSec      training throughput, tokens/s
 * @param modelTflopsPerGpu model FLOPs (no recomputation) per second per GPU, TFLOP/s
 * @param hardwareTflopsPerGpu FLOPs the GPUs execute, recomputation included, TFLOP/s per GPU
 * @param mfu               model FLOPs utilisation: model TFLOP/s over the GPU's dense BF16 peak
 * @param idealDays         days of training without failures
 * @param mtbfHours         mean hours between unplanned interruptions of the job
 * @param checkpointWriteSec seconds training stalls per checkpoint (the whole write when synchronous)
 * @param checkpointPersistSec seconds an asynchronous checkpoint takes to reach storage after the stall
 * @param restartSec        seconds from an interruption to training again (relaunch + restore)
 * @param checkpointIntervalSec Young/Daly interval between checkpoints
 * @param ettr              expected effective training time ratio
 * @param expectedDays      expected wall days with failures: ideal days / ETTR
 * @param gpuHours          GPU-hours over the expected wall time
 * @param costUsd           GPU-hours times the cluster's price per GPU-hour
 * @param energyMWh         facility energy over the expected wall time
 */
public record Plan(Layout layout, MemoryModel.Memory memory, StepModel.Step step, double tokensPerSec,
                   double modelTflopsPerGpu, double hardwareTflopsPerGpu, double mfu, double idealDays,
                   double mtbfHours, double checkpointWriteSec, double checkpointPersistSec, double restartSec, double checkpointIntervalSec,
                   double ettr, double expectedDays, double gpuHours, double costUsd, double energyMWh) {

    /** Seconds per step spent writing checkpoints, averaged: the step's share of checkpoint stalls. */
    public double checkpointSecPerStep() {
        return step.step() * checkpointWriteSec / checkpointIntervalSec;
    }
}
