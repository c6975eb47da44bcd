package gpufleet.cli;

import gpufleet.server.ServerMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code gpufleet server [args...]}: the controller. Every argument goes to {@link ServerMain}
 * unparsed, so its options are defined in one place; {@code gpufleet server --help} lists them.
 */
@Command(name = "server", description = "Run the controller; `gpufleet server --help` lists its options.")
final class ServerCommand implements Callable<Integer> {
    @Parameters(arity = "0..*", paramLabel = "ARGS", description = "options for the controller")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() {
        try {
            return ServerMain.run(args.toArray(String[]::new));
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot start the controller: " + e.getMessage(), e);
        }
    }
}
