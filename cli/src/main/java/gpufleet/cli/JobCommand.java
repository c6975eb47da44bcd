package gpufleet.cli;

import gpufleet.core.job.Priority;
import gpufleet.core.job.TimeLimit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

import java.util.ArrayList;
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
        JsonNode j = server.client().get("/jobs/" + id);
        if (output.json()) {
            output.print(j);
            return;
        }
        var out = System.out;
        row("job", Jobs.text(j, "id") + "  " + Jobs.text(j, "name"));
        row("team", Jobs.text(j, "team"));
        row("state", Jobs.text(j, "state"));
        row("reason", Jobs.text(j, "reason"));
        row("gpus", Jobs.text(j, "gpus") + "  (tp " + Jobs.text(j, "tp") + ", pp " + Jobs.text(j, "pp") + ", cp "
                + Jobs.text(j, "cp") + ")");
        Double priority = Jobs.number(j, "priority");
        row("priority", priority == null ? "-" : Priority.name(priority.intValue()));
        row("command", command(j.path("command")));
        row("checkpoints", j.path("checkpointDir").isString() ? Jobs.text(j, "checkpointDir")
                : "on each host's local disk (a failure loses all work since the run began)");
        Double ck = Jobs.number(j, "lastCheckpoint");
        row("checkpoint", ck == null ? "none reported" : "last reported " + Fmt.time(ck));
        row("submitted", when(j, "submitTime"));
        row("started", when(j, "startTime"));
        row("ended", when(j, "endTime"));
        row("time", Fmt.elapsed(Jobs.time(j, Jobs.now())));
        Double limit = Jobs.number(j, "timeLimitSeconds");
        row("time limit", limit == null ? "none" : TimeLimit.format(limit.longValue()));
        row("generation", Jobs.text(j, "generation"));
        Double ettr = Jobs.number(j, "ettr");
        row("ettr", ettr == null ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * ettr));
        Double lost = Jobs.number(j, "lostSeconds");
        row("lost time", lost == null ? "-" : Fmt.elapsed(lost));
        Double retry = Jobs.number(j, "retryAt");
        if (retry != null && "RESTARTING".equals(Jobs.text(j, "state")))
            row("next try", Fmt.time(retry) + " (backing off after " + Jobs.text(j, "quickFailures")
                    + " quick failure" + ("1".equals(Jobs.text(j, "quickFailures")) ? ")" : "s in a row)"));

        out.println("placement:");
        if (j.path("placement").isEmpty()) out.println("  -");
        for (JsonNode p : j.path("placement")) {
            List<Integer> gpus = new ArrayList<>();
            for (JsonNode g : p.path("gpus")) gpus.add(g.intValue());
            out.println("  " + Jobs.text(p, "host") + "  GPUs " + Fmt.ranges(gpus));
        }
        out.println("restarts: " + Jobs.text(j, "restarts") + " of at most " + Jobs.text(j, "maxRestarts"));
        events(j.path("events"), true);
        out.println("events:");
        events(j.path("events"), false);
    }

    private static void row(String label, String value) {
        System.out.printf(Locale.ROOT, "%-12s %s%n", label, value);
    }

    private static void events(JsonNode events, boolean interruptionsOnly) {
        Table t = new Table("TIME", "KIND", "DETAIL");
        for (JsonNode e : events)
            if (!interruptionsOnly || !ROUTINE.contains(Jobs.text(e, "kind")))
                t.add(when(e, "time"), Jobs.text(e, "kind"), Jobs.text(e, "detail"));
        t.print(System.out, "  ", false);
    }

    private static String when(JsonNode n, String field) {
        Double t = Jobs.number(n, field);
        return t == null ? "-" : Fmt.time(t);
    }

    /** The command as one shell line, quoting the arguments a shell would split or expand. */
    static String command(JsonNode args) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode a : args) {
            String s = a.isString() ? a.stringValue() : a.toString();
            if (!sb.isEmpty()) sb.append(' ');
            sb.append(s.matches("[A-Za-z0-9_./=:,+@%-]+") ? s : "'" + s.replace("'", "'\\''") + "'");
        }
        return sb.isEmpty() ? "-" : sb.toString();
    }
}
