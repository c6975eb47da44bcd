package gpufleet.sim.engine;

import gpufleet.core.failure.FailureModel;
import gpufleet.core.job.CheckpointPolicy;
import gpufleet.core.job.JobSpec;
import gpufleet.core.job.Parallelism;
import gpufleet.core.job.Priority;
import gpufleet.core.job.Work;
import gpufleet.core.sched.Policy;
import gpufleet.core.topology.ClusterSpec;
import gpufleet.core.topology.FleetSpec;
import gpufleet.sim.report.SimReport;
import gpufleet.sim.workload.StreamSpec;
import gpufleet.sim.workload.WorkloadSpec;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The jobs the twin follows one by one (the large-jobs table and the largest job's timeline): every
 * job the workload names, and stream jobs of the size threshold (512 GPUs here) or more while fewer
 * than 200 jobs are followed.
 */
class LargeJobsTableTest {
    /** 64 hosts of 8 GPUs: room for a 512-GPU stream job. */
    static final FleetSpec FLEET = new FleetSpec("512", "", List.of(
            new ClusterSpec("c0", "dc", "H100-SXM", 64, 8, 8, 8, 400, 1, 0, 2.0, 700)));

    /**
     * 200 one-GPU jobs of the workload's own, all at 0, fill the 200 places; the stream's 512-GPU jobs
     * that arrive later are not followed, though each is larger than any followed job.
     */
    @Test
    void noStreamJobIsFollowedOnceTwoHundredJobsAre() {
        List<JobSpec> own = new ArrayList<>();
        for (int i = 0; i < 200; i++)
            own.add(new JobSpec("w" + i, "t", Parallelism.of(1, 1, 1, 1), new Work.Fixed(60), CheckpointPolicy.NONE, 0,
                    Priority.NORMAL, 0, null, 10));
        var stream = new StreamSpec("big", 0.5, List.of(new StreamSpec.Weighted("s", 1)),
                List.of(new StreamSpec.SizeClass(512, 8, 1, 1, 0, "normal")), 3600, 10, 10, 0, 10, "test");
        var w = new WorkloadSpec("w", "", 1, own, List.of(stream), Map.of());
        var r = new Simulation(new Simulation.Config(FLEET, w, Policy.FIFO, FailureModel.NONE, 1, 1)).run(Simulation.Progress.NONE);
        assertThat(r.headline().jobsSubmitted()).as("stream jobs arrived").isGreaterThan(200);
        // the table shows 50, largest first, then by id: w0 to w49
        assertThat(r.largeJobs()).extracting(SimReport.JobRow::gpus).containsOnly(1);
        assertThat(r.largeJobs()).extracting(SimReport.JobRow::name)
                .containsExactlyElementsOf(own.subList(0, 50).stream().map(JobSpec::name).toList());
        // the largest followed job's timeline is w0's (the first of the largest): it ran from 0 to 60
        assertThat(r.largestJobTimeline()).containsExactly(new SimReport.Segment(0, 60, "running", ""));
    }
}
