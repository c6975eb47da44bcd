package gpufleet.cli;

import gpufleet.protocol.InvalidField;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code gpufleet} command. */
@Command(name = "gpufleet", mixinStandardHelpOptions = true, version = "gpufleet 0.1.0",
        description = "Control plane and digital twin for GPU training fleets.",
        subcommands = {SimulateCommand.class, ReplayCommand.class, PlanCommand.class, FleetsCommand.class, WorkloadsCommand.class, FailuresCommand.class, PoliciesCommand.class,
                BenchCommand.class, SubmitCommand.class, QueueCommand.class, NodesCommand.class, JobCommand.class,
                LogsCommand.class, CancelCommand.class, DrainCommand.class, ResumeCommand.class, ServerCommand.class,
                AgentCommand.class, UpCommand.class, LoginCommand.class, LoginCommand.Logout.class, TokenCommand.class,
                TeamCommand.class, AuditCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code; user errors print one clear line, never a stack trace. */
    public static int run(String... args) {
        var cl = new CommandLine(new Main());
        // `submit ... python train.py --lr 3e-4`: options after the command belong to it, not to submit
        cl.getSubcommands().get("submit").setStopAtPositional(true);
        // the controller's options are ServerMain's to parse, --help included
        cl.getSubcommands().get("server").setUnmatchedOptionsArePositionalParams(true);
        // and the agent's are AgentMain's, inject-xid and heal included
        cl.getSubcommands().get("agent").setUnmatchedOptionsArePositionalParams(true);
        withHelp(cl);
        cl.setExecutionExceptionHandler((ex, line, parsed) -> {
            // a request the contract's own constructor refused, before it was sent: said as the controller says it
            if (ex instanceof InvalidField f) {
                line.getErr().println("gpufleet: " + f.getMessage() + " (field " + f.field() + ")");
                return 2;
            }
            if (ex instanceof IllegalArgumentException || ex instanceof IllegalStateException
                    || ex instanceof java.io.UncheckedIOException || ex instanceof java.io.IOException) {
                line.getErr().println("gpufleet: " + ex.getMessage());
                return 2;
            }
            throw ex;
        });
        return cl.execute(args);
    }

    /**
     * Gives every command that lacks one a {@code -h, --help} that prints its usage, so no command can
     * ship without help. The controller and the agent are left alone: their own parsers answer --help.
     */
    private static void withHelp(CommandLine cl) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            var spec = sub.getCommandSpec();
            boolean passThrough = spec.parent() != null && spec.parent().parent() == null
                    && (spec.name().equals("server") || spec.name().equals("agent"));
            if (!passThrough && spec.options().stream().noneMatch(CommandLine.Model.OptionSpec::usageHelp)
                    && !spec.optionsMap().containsKey("--help"))
                spec.addOption(CommandLine.Model.OptionSpec.builder("-h", "--help").usageHelp(true)
                        .description("show this help").build());
            withHelp(sub);
        }
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
