package gpufleet.cli;

import gpufleet.sim.preset.FleetFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.Locale;

/** {@code gpufleet fleets [show NAME]}. */
@Command(name = "fleets", description = "List the fleet presets, or print one as a file to start from.",
        subcommands = FleetsCommand.Show.class)
final class FleetsCommand implements Runnable {
    @Override
    public void run() {
        System.out.printf(Locale.ROOT, "%-16s %10s %8s %8s %12s  %s%n", "NAME", "GPUS", "HOSTS", "CLUSTERS", "H100-EQUIV", "DESCRIPTION");
        for (var p : FleetFiles.presets()) {
            System.out.printf(Locale.ROOT, "%-16s %,10d %,8d %8d %,12.0f  %s%n", p.name(), p.gpus(), p.hosts(),
                    p.clusters(), p.h100Equivalents(), p.description());
        }
        System.out.println();
        System.out.println("Print one as YAML to start your own: gpufleet fleets show NAME > my-cluster.yaml");
    }

    @Command(name = "show", description = "Print a fleet preset as YAML.")
    static final class Show implements Runnable {
        @Parameters(paramLabel = "NAME", description = "preset name")
        String name;

        @Override
        public void run() {
            System.out.print(FleetFiles.presetText(name));
        }
    }
}
