package gpufleet.cli;

import gpufleet.protocol.DrainRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/** {@code gpufleet drain HOST [--reason TEXT]}, like {@code scontrol update state=drain}. */
@Command(name = "drain", description = "Give a host no new work; jobs running there stay.")
final class DrainCommand implements Runnable {
    @Mixin ControllerClient.Server server;
    @Mixin ControllerClient.Output output;

    @Parameters(paramLabel = "HOST", description = "host name") String host;
    @Option(names = "--reason", paramLabel = "TEXT", description = "why; the controller writes it to its log")
    String reason;

    @Override
    public void run() {
        JsonNode h = server.client().post("/hosts/" + ControllerClient.segment(host) + "/drain",
                new DrainRequest(reason));
        if (output.json()) output.print(h);
        else System.out.println("draining host " + Jobs.text(h, "name") + (reason == null ? "" : ": " + reason));
    }
}
