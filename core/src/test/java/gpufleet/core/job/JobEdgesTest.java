package gpufleet.core.job;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A job, its spec and its parts at the edges: every bound accepted where it is written as inclusive
 * and refused just past it, with a message that names the field.
 */
class JobEdgesTest {
    private static final Parallelism ONE = Parallelism.data(1);
    private static final Work HOUR = new Work.Fixed(3600);

    private static JobSpec spec(double restartSec, int priority, int maxRestarts, String gpuType, String cluster) {
        return new JobSpec("j", "t", ONE, HOUR, null, restartSec, priority, 0, gpuType, maxRestarts, cluster);
    }

    @Test
    void onlyAJobThatNamesNeitherATypeNorAClusterMayRunAnywhere() {
        assertThat(new Job(1, spec(0, 1, 0, null, null)).anyCluster()).isTrue();
        assertThat(new Job(1, spec(0, 1, 0, "H100-SXM", null)).anyCluster()).isFalse();
        assertThat(new Job(1, spec(0, 1, 0, null, "east")).anyCluster()).isFalse();
    }

    @Test
    void aReasonWithoutACodeClearsTheCodeOfTheLastOne() {
        var j = new Job(4, spec(0, 1, 0, null, null));
        j.setReason("waiting for free GPUs", "NO_FREE_GPUS");
        j.setReason("restarting after xid 79");
        assertThat(j.reason()).isEqualTo("restarting after xid 79");
        assertThat(j.reasonCode()).isEmpty();
        j.setReason(null);
        assertThat(j.reason()).isEmpty();
    }

    @Test
    void aJobDescribesItselfByIdNameStateAndGpus() {
        var j = new Job(42, new JobSpec("pretrain", "t", Parallelism.data(16), HOUR, null, 0, 1, 0, null, 0));
        assertThat(j).hasToString("Job[42 pretrain PENDING 16 GPUs]");
    }

    @Test
    void restartOverheadIsFromZeroToADayInclusive() {
        assertThat(spec(0, 1, 0, null, null).restartSec()).isZero();
        assertThat(spec(86_400, 1, 0, null, null).restartSec()).isEqualTo(86_400);
        for (double bad : new double[] {-1e-9, 86_400.001, Double.NaN})
            assertThatThrownBy(() -> spec(bad, 1, 0, null, null))
                    .hasMessage("job 'j': restart overhead must be in [0 s, 1 day], got " + bad);
    }

    @Test
    void priorityIsFromZeroToAThousandInclusive() {
        assertThat(spec(0, 0, 0, null, null).priority()).isZero();
        assertThat(spec(0, 1000, 0, null, null).priority()).isEqualTo(1000);
        for (int bad : new int[] {-1, 1001})
            assertThatThrownBy(() -> spec(0, bad, 0, null, null))
                    .hasMessage("job 'j': priority must be in [0, 1000], got " + bad);
        assertThat(Priority.parse("0")).as("the lowest number is a priority too").isZero();
        assertThatThrownBy(() -> Priority.parse("-1")).hasMessage("priority must be in [0, 1000], got -1");
        assertThatThrownBy(() -> Priority.parse("1001")).hasMessage("priority must be in [0, 1000], got 1001");
        assertThatThrownBy(() -> Priority.parse("urgent")).hasMessageContaining("unknown priority 'urgent'");
    }

    @Test
    void zeroRestartsAreAllowedAndFewerAreNot() {
        assertThat(spec(0, 1, 0, null, null).maxRestarts()).isZero();
        assertThatThrownBy(() -> spec(0, 1, -1, null, null)).hasMessage("job 'j': maxRestarts must be >= 0");
    }

    @Test
    void everyRecoveryTimeIsFromZeroToADayInclusive() {
        for (int i = 0; i < 5; i++) {
            for (double ok : new double[] {0, 86_400}) {
                double[] v = new double[5];
                v[i] = ok;
                assertThatCode(() -> new Recovery(v[0], v[1], v[2], v[3], v[4], false, 0)).as("part %d = %s", i, ok)
                        .doesNotThrowAnyException();
            }
            for (double bad : new double[] {-1e-9, 86_400.001, Double.NaN}) {
                double[] v = new double[5];
                v[i] = bad;
                assertThatThrownBy(() -> new Recovery(v[0], v[1], v[2], v[3], v[4], false, 0)).as("part %d = %s", i, bad)
                        .hasMessage("recovery times must be in [0 s, 1 day], got " + bad);
            }
        }
    }

    @Test
    void sparesAreACountOrOneOfTheTwoNamedChoices() {
        for (int ok : new int[] {Recovery.AUTO_SPARES, Recovery.FLEET_SPARES, 0, 3})
            assertThat(new Recovery(0, 0, 0, 0, 0, true, ok).spares()).isEqualTo(ok);
        assertThatThrownBy(() -> new Recovery(0, 0, 0, 0, 0, true, -3))
                .hasMessage("spares must be >= 0 or auto, got -3");
    }

    @Test
    void noTimeFormatsAsZeroSeconds() {
        assertThat(TimeLimit.format(0)).isEqualTo("0s");
        assertThat(TimeLimit.format(-5)).isEqualTo("0s");
        assertThat(TimeLimit.format(1)).isEqualTo("1s");
    }

    @Test
    void aJobCarriesItsSpecsFigures() {
        var spec = new JobSpec("pretrain", "vision", new Parallelism(4, 2, 3, 1), HOUR, null, 0, 7, 12.5, null, 0);
        var j = new Job(0, spec);
        assertThat(j.id()).as("id 0 is an id").isZero();
        assertThat(j.spec()).isSameAs(spec);
        assertThat(j.gpus()).isEqualTo(24);
        assertThat(j.unit()).as("the tensor-parallel group").isEqualTo(4);
        assertThat(j.priority()).isEqualTo(7);
        assertThat(j.submitTime()).isEqualTo(12.5);
        assertThat(j.team()).isEqualTo("vision");
        assertThat(spec.name()).isEqualTo("pretrain");
        assertThat(new JobSpec(null, "", ONE, HOUR, null, 0, 1, 0, null, 0).name()).isEqualTo("job");
        assertThat(new JobSpec(null, "", ONE, HOUR, null, 0, 1, 0, null, 0).team()).isEqualTo("default");
        assertThatThrownBy(() -> new Job(-1, spec)).hasMessage("job id must be >= 0");
    }

    @Test
    void aJobRebuiltFromStorageGetsItsHistoryBackOnlyBeforeItRuns() {
        var j = new Job(3, spec(0, 1, 0, null, null));
        j.restore(2, 1, 7200, 50);
        assertThat(j.restarts()).isEqualTo(2);
        assertThat(j.preemptions()).isEqualTo(1);
        assertThat(j.attainedGpuSeconds()).isEqualTo(7200);
        assertThat(j.waitingSince()).isEqualTo(50);
        var fresh = new Job(4, spec(0, 1, 0, null, null));
        fresh.restore(0, 0, 0, 0);
        assertThat(fresh.restarts()).isZero();
        for (double[] bad : new double[][] {{-1, 0, 0}, {0, -1, 0}, {0, 0, -1e-9}, {0, 0, Double.NaN}})
            assertThatThrownBy(() -> new Job(5, spec(0, 1, 0, null, null)).restore((int) bad[0], (int) bad[1], bad[2], 0))
                    .hasMessage("job 5: restarts, preemptions and attained service must be >= 0");
        j.start(60, gpufleet.core.testkit.Placements.first(0, 1));
        assertThatThrownBy(() -> j.restore(0, 0, 0, 0)).hasMessage("job 3: only a fresh job can be restored, this one is RUNNING");
        j.preempt(70, 9);
        assertThatThrownBy(() -> j.restore(0, 0, 0, 0)).as("waiting again after a run")
                .hasMessage("job 3: only a fresh job can be restored, this one is PREEMPTED");
    }

    @Test
    void parallelismOfOneOfEverythingIsOneGpuAndZeroOfAnythingIsNone() {
        assertThat(Parallelism.of(1, 1, 1, 1)).isEqualTo(new Parallelism(1, 1, 1, 1));
        for (int[] bad : new int[][] {{0, 1, 1, 1}, {1, 0, 1, 1}, {1, 1, 0, 1}, {1, 1, 1, 0}})
            assertThatThrownBy(() -> Parallelism.of(bad[0], bad[1], bad[2], bad[3]))
                    .hasMessageContaining("must be a multiple of tp x pp x cp");
    }

    @Test
    void recoveryTimesAddUpByHand() {
        // 30 s to notice, 60 s to place and launch cold, 2 s to initialise and 3 s more per host, 20 s warm
        var r = new Recovery(30, 60, 2, 3, 20, true, Recovery.FLEET_SPARES);
        assertThat(r.fresh(4)).isEqualTo(30 + 60 + 2 + 3 * 4);
        // the gang keeps its healthy hosts: they restart warm; a cold replacement needs launching
        assertThat(r.partial(4, 1, false)).isEqualTo(30 + 60 + 2 + 3 * 4);
        assertThat(r.partial(4, 1, true)).as("hot spares join warm").isEqualTo(30 + 20 + 2 + 3 * 4);
        assertThat(r.partial(4, 0, false)).as("nothing replaced").isEqualTo(30 + 20 + 2 + 3 * 4);
        // a warm restart slower than a cold launch: the slower of the two
        assertThat(new Recovery(30, 10, 2, 3, 20, true, 0).partial(4, 1, false)).isEqualTo(30 + 20 + 2 + 3 * 4);
    }
}
