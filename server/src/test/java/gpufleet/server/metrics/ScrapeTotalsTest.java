package gpufleet.server.metrics;

import gpufleet.core.job.JobState;
import gpufleet.core.sched.Policy;
import gpufleet.protocol.Registration;
import gpufleet.server.control.Controller;
import gpufleet.server.store.JobRecord;
import gpufleet.server.store.JobTotals;
import gpufleet.server.store.NewJob;
import gpufleet.server.store.Store;
import gpufleet.server.view.Usage;
import gpufleet.testkit.TestDatabases;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Clock;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * A scrape reads only the live jobs and lets the database sum the ended ones; what it reports must
 * be what reading every job would give: jobs by state, and each team's GPU-seconds (ended runs of
 * every job, running ones' included, plus the runs going on now).
 */
class ScrapeTotalsTest {
    private static final Pattern SAMPLE = Pattern.compile("^(gpufleet_jobs|gpufleet_team_gpu_seconds_total)\\{(state|team)=\"([^\"]+)\"} (\\S+)$",
            Pattern.MULTILINE);

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(TestDatabases.Kind.class)
    void theDatabasesSumsAreWhatReadingEveryJobGives(TestDatabases.Kind kind) throws Exception {
        try (var db = TestDatabases.fresh(kind, dir); Store store = db.open();
             Controller c = new Controller(store, Clock.systemUTC(), Policy.GPUFLEET)) {
            c.putTeam("vision", null);
            for (String h : List.of("a", "b", "c")) c.registerHost(new Registration(h, 8, "r1", "z1", null, List.of()), "127.0.0.1");
            long[] ids = new long[6];
            for (int i = 0; i < ids.length; i++)
                ids[i] = c.submit(new NewJob("j" + i, i % 2 == 0 ? "default" : "vision", 8, 8, 1, 1, 1, List.of("true"), 3, null)).id();
            c.cycle();
            Thread.sleep(30);
            c.cancel(ids[0]); // ran, then cancelled: its run has ended
            c.cancel(ids[5]); // never ran
            c.cycle();
            Thread.sleep(30);
            c.cancel(ids[1]);
            c.cycle();

            double now = Clock.systemUTC().millis() / 1000.0 + 5;
            List<JobRecord> all = store.jobs(null, null);
            Map<String, Double> expectedSeconds = Usage.gpuSecondsEver(all, now);
            Map<String, Double> expectedStates = new TreeMap<>();
            for (JobState s : JobState.values()) expectedStates.put(s.name().toLowerCase(Locale.ROOT), 0.0);
            for (JobRecord j : all) expectedStates.merge(j.state().name().toLowerCase(Locale.ROOT), 1.0, Double::sum);
            assertThat(expectedStates.get("running")).isEqualTo(3.0);
            assertThat(expectedStates.get("cancelled")).isEqualTo(3.0);
            assertThat(all).filteredOn(j -> j.runSeconds() > 0).as("some ended runs to sum").hasSizeGreaterThanOrEqualTo(2);

            JobTotals totals = store.jobTotals();
            Map<JobState, Integer> byState = new EnumMap<>(JobState.class);
            for (JobRecord j : all) byState.merge(j.state(), 1, Integer::sum);
            assertThat(totals.byState()).isEqualTo(byState);

            Map<String, Double> states = new TreeMap<>(), seconds = new TreeMap<>();
            Matcher m = SAMPLE.matcher(new Metrics(4.916).scrape(c, now));
            while (m.find()) (m.group(1).equals("gpufleet_jobs") ? states : seconds).put(m.group(3), Double.parseDouble(m.group(4)));
            assertThat(states).isEqualTo(expectedStates);
            assertThat(seconds.keySet()).containsExactlyInAnyOrderElementsOf(expectedSeconds.keySet());
            expectedSeconds.forEach((team, s) -> assertThat(seconds.get(team)).as(team).isCloseTo(s, within(1e-3)));
            assertThat(seconds.get("vision")).isGreaterThan(0);
        }
    }
}
