package gpufleet.sim.replay;

import gpufleet.core.perf.CommSlowdown;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.plugin.TiresiasLas;
import gpufleet.sim.trace.TraceFormats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * {@code tiresias-las} in the twin: the demotion cycle it asks for happens with no other event then,
 * and on the Philly 2,000-job cut it gives the mean JCT of the Tiresias simulator's dlas-gpu loop
 * (re-run from that loop's rules; docs/policies.md has the numbers).
 */
class TiresiasLasReplayTest {
    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @CsvSource({"CROSSING", "SIMULATOR"})
    void aJobIsDemotedWhenItCrossesItsLimitEvenWithNoEventThen(TiresiasLas.Wake wake) throws Exception {
        // gpus:4, limit 200 GPU-s. j0 (4 GPUs, 100 s) runs from 0; j1 (4 GPUs, 10 s) arrives at 10 and
        // waits behind it in queue 0. At t = 50 j0 has 200 GPU-s: demoted, preempted by j1 (50-60), it
        // resumes at 60 and ends at 110. Nothing but the wake-up happens at t = 50.
        Path f = tmp.resolve("t.csv");
        Files.writeString(f, "id,submit_time,duration,gpus,group\n0,0,100,4,g\n1,10,10,4,g\n");
        var replay = new Replay(TraceFormats.read(f, "gpufleet"), ReplayFleets.parse("gpus:4"),
                new Replay.Options(0, CommSlowdown.NONE, 0, 1, true));
        var r = replay.run(Policy.tiresiasLas(new double[] {200, 100_000}, wake));
        Map<Integer, Double> finish = new LinkedHashMap<>();
        for (var e : r.events()) if (e.event().equals("finish")) finish.put(e.job(), e.time());
        assertThat(finish).containsEntry(1, 60.0).containsEntry(0, 110.0);
        assertThat(r.stats().preemptions()).isEqualTo(1);
    }

    @ParameterizedTest(name = "{0}: mean JCT {1} s")
    @CsvSource({"gpus:64, 57242.1", "gpus:256, 11796.6"})
    void onThePhillyCutItMatchesTheSimulatorsDlasGpu(String fleet, double simulatorMeanJct) throws Exception {
        var replay = new Replay(TraceFormats.read(tiresiasCut(), "auto"), ReplayFleets.parse(fleet),
                new Replay.Options(0, CommSlowdown.NONE, 0, 1, false));
        var r = replay.run(Policy.TIRESIAS_LAS);
        assertThat(r.stats().completed()).isEqualTo(2000);
        assertThat(r.stats().meanJct()).isCloseTo(simulatorMeanJct, within(simulatorMeanJct * 0.001));
    }

    @Test
    void plainLasIsFartherFromItOnTheOverloadedPool() throws Exception {
        var replay = new Replay(TraceFormats.read(tiresiasCut(), "auto"), ReplayFleets.parse("gpus:64"),
                new Replay.Options(0, CommSlowdown.NONE, 0, 1, false));
        assertThat(replay.run(Policy.LAS).stats().meanJct() / 57242.1).isGreaterThan(1.15);
    }

    private static Path tiresiasCut() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path c = d.resolve("shared/traces/philly/philly_oct2017_first2000.csv");
            if (Files.isRegularFile(c)) return c;
        }
        throw new IllegalStateException("the Philly 2,000-job cut is not in ../shared/traces");
    }
}
