package gpufleet.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import gpufleet.protocol.JobView;
import gpufleet.protocol.StartView;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;

import java.util.List;

/** {@code gpufleet queue}, like squeue. */
@Command(name = "queue", description = {"List jobs, like squeue: those not ended unless --all or --state.",
        "TIME is how long a job has run, or waited since it was submitted.",
        "START is when a waiting job should start, as squeue --start gives it: the controller runs its scheduler",
        "forward over the queue and the running jobs' time limits. 'unknown': it waits on jobs without a limit;",
        "'>7d': not within a week; 'never': it cannot fit. REASON then says why it waits, with numbers."})
final class QueueCommand implements Runnable {
    @Mixin ControllerClient.Server server;
    @Mixin ControllerClient.Output output;

    @Option(names = "--team", description = "only this team's jobs") String team;
    @Option(names = "--state", description = "only jobs in this state (PENDING, RUNNING, ..., CANCELLED)") String state;
    @Option(names = "--all", description = "include jobs that ended") boolean all;

    @Override
    public void run() {
        ControllerClient c = server.client();
        JsonNode answer = c.get("/jobs" + ControllerClient.query("state", state, "team", team));
        List<JobView> jobs = c.views(answer, JobView.class);
        ArrayNode shown = ControllerClient.JSON.createArrayNode();
        Table t = new Table("ID", "NAME", "TEAM", "STATE", "GPUS", "TIME", "START", "REASON");
        double now = Jobs.now();
        for (int i = 0; i < jobs.size(); i++) {
            JobView j = jobs.get(i);
            if (!all && state == null && Jobs.ended(j)) continue;
            shown.add(answer.get(i));
            StartView s = c.view(answer.get(i), StartView.class);
            t.add(Jobs.text(j.id()), Jobs.text(j.name()), Jobs.text(j.team()), Jobs.text(j.state()), Jobs.text(j.gpus()),
                    Fmt.elapsed(Jobs.time(j, now)), start(s, now),
                    Jobs.text(s.waitReason() != null && !s.waitReason().isBlank() ? s.waitReason() : j.reason()));
        }
        if (output.json()) output.print(shown);
        else t.print(System.out);
    }

    /** A waiting job's expected start: the time, today's without its date; "-" for jobs that do not wait. */
    static String start(StartView s, double now) {
        return switch (Jobs.text(s.startOutcome())) {
            case "STARTS" -> {
                Double at = s.expectedStart();
                if (at == null) yield "-";
                if (at <= now + 1) yield "now";
                String full = Fmt.time(at);
                yield full.substring(0, 10).equals(Fmt.time(now).substring(0, 10)) ? full.substring(11) : full;
            }
            case "NO_ESTIMATE" -> "unknown";
            case "BEYOND_HORIZON" -> ">7d";
            case "NEVER" -> "never";
            default -> "-";
        };
    }
}
