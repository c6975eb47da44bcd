package gpufleet.sim.engine;

import gpufleet.core.failure.FailureModel;
import gpufleet.core.sched.Policy;
import gpufleet.sim.preset.FleetFiles;
import gpufleet.sim.preset.WorkloadFiles;
import gpufleet.sim.report.ReportWriter;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Same inputs and seed, same report: checked on the scenario users run first, not only on a small one. */
class DefaultScenarioDeterminismTest {
    /** The default scenario (54 days on 24,576 GPUs, hundreds of failures) twice with one seed: the same bytes. */
    @Test
    void theDefaultScenarioIsByteIdenticalAcrossRuns() {
        var wl = WorkloadFiles.load("default");
        var cfg = new Simulation.Config(FleetFiles.load("h100-24k-roce"), wl, Policy.GPUFLEET, FailureModel.LLAMA3, 1,
                wl.defaultDays());
        var a = new Simulation(cfg).run(Simulation.Progress.NONE);
        var b = new Simulation(cfg).run(Simulation.Progress.NONE);
        assertThat(a.scenario().days()).isEqualTo(54);
        assertThat(a.headline().hardwareFailures()).isGreaterThan(100);
        assertThat(a.headline().interruptions()).isGreaterThan(100);
        assertThat(ReportWriter.toJson(b)).isEqualTo(ReportWriter.toJson(a));
    }
}
