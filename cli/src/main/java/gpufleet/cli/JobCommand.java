package gpufleet.cli;

import gpufleet.core.job.Priority;
import gpufleet.core.job.TimeLimit;
import gpufleet.protocol.JobDetailView;
import gpufleet.protocol.JobEventView;
import gpufleet.protocol.JobView;
import gpufleet.protocol.PlacementView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/** {@code gpufleet job ID}, like {@code scontrol show job}. */
@Command(name = "job", description = "Show one job: its fields, placement, restarts and their causes, events.")
final class JobCommand implements Runnable {
    /** Events of a normal life; any other kind interrupted the job and is listed under its restarts. */
    private static final Set<String> ROUTINE = Set.of("SUBMITTED", "STARTED", "COMPLETED", "CANCELLED");

    @Mixin ControllerClient.Server server;
    @Mixin ControllerClient.Output output;

    @Parameters(paramLabel = "ID", description = "job id") long id;

    @Override
    public void run() {
        ControllerClient c = server.client();
        JsonNode answer = c.get("/jobs/" + id);
        if (output.json()) {
            output.print(answer);
            return;
        }
        JobView j = c.view(answer, JobView.class);
        JobDetailView detail = c.view(answer, JobDetailView.class);
        var out = System.out;
        row("job", Jobs.text(j.id()) + "  " + Jobs.text(j.name()));
        row("team", Jobs.text(j.team()));
        row("state", Jobs.text(j.state()));
        row("reason", Jobs.text(j.reason()));
        row("gpus", j.gpus() + "  (tp " + j.tp() + ", pp " + j.pp() + ", cp " + j.cp() + ")");
        row("priority", Priority.name(j.priority()));
        row("command", command(j.command()));
        row("checkpoints", j.checkpointDir() != null ? Jobs.text(j.checkpointDir())
                : "on each host's local disk (a failure loses all work since the run began)");
        row("checkpoint", j.lastCheckpoint() == null ? "none reported" : "last reported " + Fmt.time(j.lastCheckpoint()));
        row("submitted", Fmt.time(j.submitTime()));
        row("started", when(j.startTime()));
        row("ended", when(j.endTime()));
        row("time", Fmt.elapsed(Jobs.time(j, Jobs.now())));
        row("time limit", j.timeLimitSeconds() == null ? "none" : TimeLimit.format(j.timeLimitSeconds()));
        row("generation", Long.toString(j.generation()));
        row("ettr", detail.ettr() == null ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * detail.ettr()));
        row("lost time", Fmt.elapsed(j.lostSeconds()));
        if (j.retryAt() != null && "RESTARTING".equals(j.state()))
            row("next try", Fmt.time(j.retryAt()) + " (backing off after " + j.quickFailures()
                    + " quick failure" + (j.quickFailures() == 1 ? ")" : "s in a row)"));

        out.println("placement:");
        if (j.placement().isEmpty()) out.println("  -");
        for (PlacementView p : j.placement()) out.println("  " + Jobs.text(p.host()) + "  GPUs " + Fmt.ranges(p.gpus()));
        out.println("restarts: " + j.restarts() + " of at most " + j.maxRestarts());
        events(detail.events(), true);
        out.println("events:");
        events(detail.events(), false);
    }

    private static void row(String label, String value) {
        System.out.printf(Locale.ROOT, "%-12s %s%n", label, value);
    }

    private static void events(List<JobEventView> events, boolean interruptionsOnly) {
        Table t = new Table("TIME", "KIND", "DETAIL");
        for (JobEventView e : events)
            if (!interruptionsOnly || !ROUTINE.contains(e.kind()))
                t.add(Fmt.time(e.time()), Jobs.text(e.kind()), Jobs.text(e.detail()));
        t.print(System.out, "  ", false);
    }

    private static String when(Double t) {
        return t == null ? "-" : Fmt.time(t);
    }

    /** The command as one shell line, quoting the arguments a shell would split or expand. */
    static String command(List<String> args) {
        StringBuilder sb = new StringBuilder();
        for (String s : args) {
            if (!sb.isEmpty()) sb.append(' ');
            sb.append(s.matches("[A-Za-z0-9_./=:,+@%-]+") ? s : "'" + s.replace("'", "'\\''") + "'");
        }
        return sb.isEmpty() ? "-" : sb.toString();
    }
}
