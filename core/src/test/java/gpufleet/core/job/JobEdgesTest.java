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
}
