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
        var presets = WorkloadFiles.presets();
        int w = Math.max(14, presets.stream().mapToInt(p -> p.name().length()).max().orElse(0));
        String row = "%-" + w + "s  %s%n";
        System.out.printf(Locale.ROOT, row, "NAME", "DESCRIPTION");
        for (var p : presets) System.out.printf(Locale.ROOT, row, p.name(), p.description());
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
