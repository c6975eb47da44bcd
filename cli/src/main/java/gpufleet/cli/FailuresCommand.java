package gpufleet.cli;

import gpufleet.sim.preset.FailureFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.Locale;

/** {@code gpufleet failures [show NAME]}. */
@Command(name = "failures", description = "List the failure model presets, or print one as a file to start from.",
        subcommands = FailuresCommand.Show.class)
final class FailuresCommand implements Runnable {
    @Override
    public void run() {
        System.out.printf(Locale.ROOT, "%-8s %-12s %7s %15s %10s %7s  %s%n", "NAME", "MODEL", "CAUSES",
                "PER_1000_NODE_D", "MTBF_16K", "LEMONS", "DESCRIPTION");
        for (var p : FailureFiles.presets()) {
            var m = FailureFiles.load(p.name());
            System.out.printf(Locale.ROOT, "%-8s %-12s %7d %15.2f %8.1f h %6.1f%%  %s%n", p.name(), m.name(), p.causes(),
                    p.per1000NodeDays(), p.mtbf16kHours(), 100 * p.lemonShare(), p.description());
        }
        System.out.println();
        System.out.println("PER_1000_NODE_D: unplanned failures per 1,000 days of one 8-GPU host; MTBF_16K: mean time between");
        System.out.println("unplanned interruptions of a job on 16,384 GPUs (2,048 hosts). Format: docs/failure-format.md.");
        System.out.println("Print one as YAML to start your own: gpufleet failures show NAME > my-failures.yaml");
    }

    @Command(name = "show", description = "Print a failure model preset as YAML.")
    static final class Show implements Runnable {
        @Parameters(paramLabel = "NAME", description = "preset name")
        String name;

        @Override
        public void run() {
            System.out.print(FailureFiles.presetText(name));
        }
    }
}
