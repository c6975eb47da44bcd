package gpufleet.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/** {@code gpufleet resume HOST}, like {@code scontrol update state=resume}. */
@Command(name = "resume", description = "Give a drained host new work again.")
final class ResumeCommand implements Runnable {
    @Mixin ControllerClient.Server server;
    @Mixin ControllerClient.Output output;

    @Parameters(paramLabel = "HOST", description = "host name") String host;

    @Override
    public void run() {
        JsonNode h = server.client().post("/hosts/" + ControllerClient.segment(host) + "/resume", null);
        if (output.json()) output.print(h);
        else System.out.println("resumed host " + Jobs.text(h, "name") + " (" + Jobs.text(h, "status") + ")");
    }
}
