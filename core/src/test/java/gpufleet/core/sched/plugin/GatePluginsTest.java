package gpufleet.core.sched.plugin;

import gpufleet.core.job.Job;
import gpufleet.core.sched.Quotas;
import gpufleet.core.sched.framework.Status;
import gpufleet.core.testkit.Fleets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static gpufleet.core.testkit.Jobs.job;
import static org.assertj.core.api.Assertions.assertThat;

/** The pre-filters and the filter: strict order, admission, team quota, GPU count. */
class GatePluginsTest {

    @Test
    void strictOrderBlocksEveryJobBehindTheFirstThatCannotStart() {
        var f = Fixture.hosts(1);
        var plugin = new StrictOrder();
        var s = f.state(0, plugin);
        Job a = job(1).build(), b = job(2).build();
        assertThat(plugin.preFilter(s, a)).isEqualTo(Status.OK);
        assertThat(plugin.unschedulable(s, a).code()).isEqualTo(Status.Code.HOLDS_RESERVATION);
        assertThat(plugin.preFilter(s, b).code()).isEqualTo(Status.Code.BEHIND_BLOCKED_JOB);
        assertThat(plugin.preFilter(s, b).message()).isEqualTo(Status.REASON_BLOCKED);
        assertThat(plugin.unschedulable(s, b).code()).isEqualTo(Status.Code.NO_FREE_GPUS);
        assertThat(s.firstBlocked()).isSameAs(a);
    }

    @ParameterizedTest(name = "{0} GPUs tp {1} type {2} cluster {3} -> {4}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            8  | 1 | -        | -  | -
            32 | 8 | -        | -  | -
            40 | 8 | -        | -  | needs 40 GPUs; the largest eligible cluster has 32
            16 | 16| -        | -  | tensor-parallel group of 16 GPUs is larger than a host (8 GPUs)
            8  | 1 | B200     | -  | no cluster has GPU type B200
            8  | 1 | -        | c9 | no cluster is named c9
            8  | 1 | B200     | c0 | no cluster named c0 has GPU type B200
            8  | 1 | H100-SXM | c0 | -
            """)
    void admissionRejectsWhatNoClusterCouldEverHold(int gpus, int tp, String type, String cluster, String error) {
        var f = Fixture.hosts(4);
        var plugin = new Admission();
        var spec = job(1).gpus(gpus).tp(tp).gpuType(type).spec();
        if (cluster != null) spec = new gpufleet.core.job.JobSpec(spec.name(), spec.team(), spec.parallelism(), spec.work(),
                spec.checkpoint(), spec.restartSec(), spec.priority(), spec.submitTime(), spec.gpuType(), spec.maxRestarts(),
                cluster);
        Status st = plugin.preFilter(f.state(0, plugin), new Job(1, spec));
        if (error == null) assertThat(st).isEqualTo(Status.OK);
        else assertThat(st).isEqualTo(Status.rejected(error));
    }

    @ParameterizedTest(name = "quota {0}, team holds {1}, job of {2} -> {3}")
    @CsvSource(delimiter = '|', textBlock = """
            -1 | 8  | 24 | OK
            16 | 8  | 8  | OK
            16 | 8  | 9  | TEAM_QUOTA
            0  | 0  | 1  | TEAM_QUOTA
            16 | 16 | 1  | TEAM_QUOTA
            """)
    void teamQuotaHoldsBackAJobThatWouldPassIt(int quota, int held, int gpus, Status.Code code) {
        var f = Fixture.hosts(4);
        if (quota >= 0) f.quotas = Quotas.NONE.with("a", quota);
        if (held > 0) f.run(job(100).team("a").gpus(held).build(), 0);
        var plugin = new TeamQuota();
        Status st = plugin.preFilter(f.state(10, plugin), job(1).team("a").gpus(gpus).build());
        assertThat(st.code()).isEqualTo(code);
        if (code == Status.Code.TEAM_QUOTA)
            assertThat(st.message()).isEqualTo("team quota (a: " + held + " + " + gpus + " > " + quota + " GPUs)");
    }

    @ParameterizedTest(name = "{0} GPUs busy, job of {1} tp {2} -> {3}")
    @CsvSource(delimiter = '|', textBlock = """
            0  | 32 | 1 | true
            1  | 32 | 1 | false
            4  | 28 | 1 | true
            4  | 28 | 4 | true
            6  | 28 | 4 | false
            6  | 24 | 8 | true
            """)
    void gpuCountCountsFreeGpusInWholeTensorParallelGroups(int busy, int gpus, int tp, boolean fits) {
        var f = Fixture.hosts(4);
        if (busy > 0) f.run(job(100).gpus(busy).build(), 0);
        var plugin = new GpuCount();
        assertThat(plugin.fits(f.state(0, plugin), job(1).gpus(gpus).tp(tp).build())).isEqualTo(fits);
    }

    @Test
    void gangPlacementPutsAGangOnTheFewestHosts() {
        var f = new Fixture(Fleets.lab(1, 1, 2, 2, 8));
        var plugin = new GangPlacement();
        var s = f.state(0, plugin);
        assertThat(plugin.place(s, job(1).gpus(8).build()).hostCount()).isEqualTo(1);
        assertThat(plugin.place(s, job(2).gpus(16).build()).hostCount()).isEqualTo(2);
        assertThat(plugin.place(s, job(3).gpus(40).build())).isNull();
        assertThat(plugin.placeIn(s, job(4).gpus(8).build(), 0)).isNotNull();
    }
}
