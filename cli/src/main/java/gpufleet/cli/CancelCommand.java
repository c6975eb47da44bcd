package gpufleet.cli;

import gpufleet.protocol.JobView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/** {@code gpufleet cancel ID}, like scancel. */
@Command(name = "cancel", description = "Cancel a job; a running job's GPUs are released.")
final class CancelCommand implements Runnable {
    @Mixin ControllerClient.Server server;
    @Mixin ControllerClient.Output output;

    @Parameters(paramLabel = "ID", description = "job id") long id;

    @Override
    public void run() {
        ControllerClient c = server.client();
        JsonNode answer = c.post("/jobs/" + id + "/cancel", null);
        if (output.json()) output.print(answer);
        else System.out.println("cancelled job " + c.view(answer, JobView.class).id());
    }
}
