package gpufleet.cli;

import gpufleet.agent.AgentMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code gpufleet agent [args...]}: the node agent. Arguments go to {@link AgentMain} unparsed, so its
 * options live in one place; {@code gpufleet agent --help} lists them.
 */
@Command(name = "agent", description = {"Run the node agent on this host; `gpufleet agent --help` lists its options.",
        "`gpufleet agent inject-xid --work-dir DIR --gpu 3 --xid 79` makes a simulated GPU report an XID error."})
final class AgentCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "ARGS", description = "options for the agent")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        return AgentMain.run(args.toArray(String[]::new));
    }
}
