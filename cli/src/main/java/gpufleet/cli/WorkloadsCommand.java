package gpufleet.cli;

import gpufleet.sim.preset.WorkloadFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.Locale;

/** {@code gpufleet workloads [show NAME]}. */
@Command(name = "workloads", description = "List the workload presets, or print one as a file to start from.",
        subcommands = WorkloadsCommand.Show.class)
final class WorkloadsCommand implements Runnable {
    @Override
    public void run() {
        System.out.printf(Locale.ROOT, "%-14s  %s%n", "NAME", "DESCRIPTION");
        for (var p : WorkloadFiles.presets()) System.out.printf(Locale.ROOT, "%-14s  %s%n", p.name(), p.description());
        System.out.println();
        System.out.println("Print one as YAML to start your own: gpufleet workloads show NAME > my-jobs.yaml");
    }

    @Command(name = "show", description = "Print a workload preset as YAML.")
    static final class Show implements Runnable {
        @Parameters(paramLabel = "NAME", description = "preset name")
        String name;

        @Override
        public void run() {
            System.out.print(WorkloadFiles.presetText(name));
        }
    }
}
