package gpufleet.cli;

import gpufleet.core.sched.PolicyRegistry;
import picocli.CommandLine.Command;

import java.util.Locale;

/** {@code gpufleet policies}. */
@Command(name = "policies", description = "List the scheduling policies.")
final class PoliciesCommand implements Runnable {
    @Override
    public void run() {
        for (var p : PolicyRegistry.all()) System.out.printf(Locale.ROOT, "%-10s %s%n", p.name(), p.summary());
    }
}
