package gpufleet.cli.deploy;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Predicate;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Through the shipped launcher, each command a process of its own: {@code up --policy} runs the policy
 * it was given and says so, and a job submitted with {@code --time-limit} is ended when its run
 * outlasts the limit, its ranks stopped.
 */
class TimeLimitIT {
    @TempDir
    static Path dir;
    static LocalFleet fleet;

    @BeforeAll
    static void up() throws Exception {
        fleet = LocalFleet.up(dir, "--policy", "fifo-backfill");
    }

    @AfterAll
    static void down() throws Exception {
        if (fleet != null) fleet.close();
    }

    static Launcher.Result gf(String... args) {
        return fleet.gf(args);
    }

    static JsonNode json(String... args) {
        return fleet.json(args);
    }

    static <T> T await(String what, Duration within, Supplier<T> probe, Predicate<T> done) {
        return fleet.await(what, within, probe, done);
    }

    @Test
    void upRunsThePolicyItWasGivenAndARunThatOutlastsItsLimitIsEnded() throws Exception {
        assertThat(fleet.log()).contains("scheduling policy: fifo-backfill (");

        Launcher.Result s = gf("submit", "--name", "forever", "--gpus", "8", "--time-limit", "4s", "--", "sleep", "600");
        assertThat(s.code()).as(s.both()).isZero();
        String id = s.out().strip().substring("submitted job ".length());
        JsonNode running = await("job " + id + " to run", Duration.ofSeconds(30), () -> json("job", id, "-o", "json"),
                j -> j.get("state").stringValue().equals("RUNNING"));
        assertThat(running.get("timeLimitSeconds").longValue()).isEqualTo(4);

        JsonNode ended = await("job " + id + " to be ended at its limit", Duration.ofSeconds(60),
                () -> json("job", id, "-o", "json"), j -> j.get("state").stringValue().equals("FAILED"));
        assertThat(ended.get("reason").stringValue()).isEqualTo("exceeded its time limit of 4s");
        double ran = ended.get("endTime").doubleValue() - ended.get("startTime").doubleValue();
        assertThat(ran).as("ended at its limit, not before, and within a cycle or two after").isBetween(4.0, 7.0);
        assertThat(ended.get("events").valueStream().map(e -> e.get("kind").stringValue())).contains("TIMEOUT");

        // its GPUs are free again: the next job runs on them
        Launcher.Result next = gf("submit", "--name", "next", "--gpus", "8", "--", "true");
        String nextId = next.out().strip().substring("submitted job ".length());
        await("job " + nextId + " to complete", Duration.ofSeconds(60), () -> json("job", nextId, "-o", "json"),
                j -> j.get("state").stringValue().equals("COMPLETED"));
    }
    @Test
    void queueSaysWhenAJobBehindATimeLimitShouldStart() {
        Launcher.Result a = gf("submit", "--name", "hour", "--gpus", "8", "--time-limit", "1h", "--", "sleep", "3600");
        String running = a.out().strip().substring("submitted job ".length());
        double end = await("job " + running + " to run", Duration.ofSeconds(30), () -> json("job", running, "-o", "json"),
                j -> j.get("state").stringValue().equals("RUNNING")).get("estimatedEnd").doubleValue();
        Launcher.Result b = gf("submit", "--name", "behind", "--gpus", "8", "--time-limit", "10m", "--", "true");
        String waiting = b.out().strip().substring("submitted job ".length());
        try {
            JsonNode w = await("a forecast for job " + waiting, Duration.ofSeconds(30), () -> {
                for (JsonNode j : json("queue", "-o", "json")) if (j.get("id").longValue() == Long.parseLong(waiting)) return j;
                return null;
            }, j -> j != null && j.hasNonNull("startOutcome"));
            assertThat(w.get("startOutcome").stringValue()).isEqualTo("STARTS");
            assertThat(w.get("expectedStart").doubleValue()).isEqualTo(end);
            assertThat(w.get("waitReason").stringValue()).contains("needs 8 GPUs, 0 free");

            Launcher.Result q = gf("queue");
            assertThat(q.code()).as(q.both()).isZero();
            String header = q.out().lines().findFirst().orElseThrow();
            assertThat(header.split("\\s{2,}")).containsExactly("ID", "NAME", "TEAM", "STATE", "GPUS", "TIME", "START", "REASON");
            String row = q.out().lines().filter(l -> l.startsWith(waiting + " ")).findFirst().orElseThrow();
            String hhmmss = java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss").format(
                    java.time.Instant.ofEpochMilli(Math.round(end * 1000)).atZone(java.time.ZoneId.systemDefault()));
            assertThat(row).contains(hhmmss).contains("needs 8 GPUs, 0 free");
        } finally {
            gf("cancel", waiting);
            gf("cancel", running);
        }
    }
}
