package gpufleet.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;

/** {@code gpufleet queue}, like squeue. */
@Command(name = "queue", description = {"List jobs, like squeue: those not ended unless --all or --state.",
        "TIME is how long a job has run, or waited since it was submitted."})
final class QueueCommand implements Runnable {
    @Mixin ControllerClient.Server server;
    @Mixin ControllerClient.Output output;

    @Option(names = "--team", description = "only this team's jobs") String team;
    @Option(names = "--state", description = "only jobs in this state (PENDING, RUNNING, ..., CANCELLED)") String state;
    @Option(names = "--all", description = "include jobs that ended") boolean all;

    @Override
    public void run() {
        JsonNode jobs = server.client().get("/jobs" + ControllerClient.query("state", state, "team", team));
        ArrayNode shown = ControllerClient.JSON.createArrayNode();
        for (JsonNode j : jobs) if (all || state != null || !Jobs.ended(j)) shown.add(j);
        if (output.json()) {
            output.print(shown);
            return;
        }
        double now = Jobs.now();
        Table t = new Table("ID", "NAME", "TEAM", "STATE", "GPUS", "TIME", "REASON");
        for (JsonNode j : shown)
            t.add(Jobs.text(j, "id"), Jobs.text(j, "name"), Jobs.text(j, "team"), Jobs.text(j, "state"),
                    Jobs.text(j, "gpus"), Fmt.elapsed(Jobs.time(j, now)), Jobs.text(j, "reason"));
        t.print(System.out);
    }
}
