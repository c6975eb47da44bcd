package gpufleet.cli;

import gpufleet.protocol.HostView;
import gpufleet.protocol.ResumeRequest;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/** {@code gpufleet resume HOST}, like {@code scontrol update state=resume}. */
@Command(name = "resume", description = "Give a drained host new work again.")
final class ResumeCommand implements Runnable {
    @Mixin ControllerClient.Server server;
    @Mixin ControllerClient.Output output;

    @Parameters(paramLabel = "HOST", description = "host name") String host;

    @Option(names = "--force", description = {"put GPUs back into service even though their agent still reports a fault"
            + " (the audit log records it); without it a GPU that failed comes back only once its agent reports it healthy"})
    boolean force;

    @Override
    public void run() {
        ControllerClient c = server.client();
        JsonNode answer = c.post("/hosts/" + ControllerClient.segment(host) + "/resume", new ResumeRequest(force));
        if (output.json()) {
            output.print(answer);
            return;
        }
        HostView h = c.view(answer, HostView.class);
        System.out.println("resumed host " + Jobs.text(h.name()) + " (" + Jobs.text(h.status()) + ")");
    }
}
