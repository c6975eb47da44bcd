package gpufleet.cli.deploy;

import gpufleet.core.failure.Checkpointing;
import gpufleet.core.failure.FailureCause;
import gpufleet.core.failure.FailureModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Through the shipped launcher ({@code gpufleet up}, then commands, each a process of its own): a rank
 * is told the checkpoint interval the controller advises, in {@code GPUFLEET_CHECKPOINT_INTERVAL} and in
 * the file {@code GPUFLEET_CHECKPOINT_INTERVAL_FILE} names, and on a fleet just started with no failures
 * it is the Young/Daly interval of the default 30 s checkpoint and the llama3 model's rate for the job.
 */
class CheckpointIntervalIT {
    @TempDir
    Path dir;

    @Test
    void aRankIsToldTheYoungDalyIntervalOfItsJob() throws Exception {
        // as root, up runs jobs as nobody, who cannot reach into this test's private temporary directory
        boolean root = ProcessHandle.current().info().user().orElse("").equals("root");
        try (LocalFleet fleet = root ? LocalFleet.up(dir, "--run-as", "root") : LocalFleet.up(dir)) {
            Launcher.Result s = fleet.gf("submit", "--name", "ck", "--gpus", "8", "--", "sh", "-c",
                    "echo \"interval=$GPUFLEET_CHECKPOINT_INTERVAL file=$(cat \"$GPUFLEET_CHECKPOINT_INTERVAL_FILE\")\"");
            assertThat(s.code()).as(s.both()).isZero();
            String id = s.out().strip().substring("submitted job ".length());
            fleet.await("job " + id + " to complete", Duration.ofSeconds(60), () -> fleet.json("job", id, "-o", "json"),
                    j -> j.get("state").stringValue().equals("COMPLETED"));
            Launcher.Result log = fleet.gf("logs", id, "--rank", "0");
            assertThat(log.code()).as(log.both()).isZero();
            Matcher m = Pattern.compile("interval=(\\d+) file=(\\d+)").matcher(log.out());
            assertThat(m.find()).as("the rank's output: %s", log.out()).isTrue();
            assertThat(m.group(2)).as("the file holds what the variable says").isEqualTo(m.group(1));

            double rate = 0;
            for (FailureCause c : FailureModel.LLAMA3.causes())
                if (!c.planned()) rate += c.jobRatePerDay(8, 1, "H100-SXM") / 86_400;
            double expected = Checkpointing.youngDaly(30, 1 / rate);
            // seconds of quiet since the fleet started weigh a little against the model's rate
            assertThat(Double.parseDouble(m.group(1))).isBetween(Math.floor(expected) - 1, Math.ceil(expected) + 1);
        }
    }
}
