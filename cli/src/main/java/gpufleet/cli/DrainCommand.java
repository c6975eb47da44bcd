package gpufleet.cli;

import gpufleet.protocol.DrainRequest;
import gpufleet.protocol.HostView;
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
        ControllerClient c = server.client();
        JsonNode answer = c.post("/hosts/" + ControllerClient.segment(host) + "/drain", new DrainRequest(reason));
        if (output.json()) output.print(answer);
        else System.out.println("draining host " + Jobs.text(c.view(answer, HostView.class).name()) + (reason == null ? "" : ": " + reason));
    }
}
