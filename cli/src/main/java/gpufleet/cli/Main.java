package gpufleet.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code gpufleet} command. */
@Command(name = "gpufleet", mixinStandardHelpOptions = true, version = "gpufleet 0.1.0",
        description = "Control plane and digital twin for GPU training fleets.",
        subcommands = {SimulateCommand.class, ReplayCommand.class, PlanCommand.class, FleetsCommand.class, WorkloadsCommand.class, PoliciesCommand.class,
                BenchCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code; user errors print one clear line, never a stack trace. */
    public static int run(String... args) {
        var cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException
                    || ex instanceof java.io.UncheckedIOException || ex instanceof java.io.IOException) {
                line.getErr().println("gpufleet: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
