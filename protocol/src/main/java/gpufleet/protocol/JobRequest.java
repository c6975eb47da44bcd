package gpufleet.protocol;

import java.util.List;

/**
 * {@code POST /api/v1/jobs}: a training job to run. Options left null take their defaults here, so a
 * constructed request is complete; {@code team} stays null when not given, for the controller decides it
 * from who submits (a member's own team, else {@code default}).
 *
 * @param gpus             GPUs for the whole job; a multiple of {@code tp × pp × cp}
 * @param tp               tensor-parallel degree (default 1); a group never spans hosts
 * @param priority         0..1000 (default 1)
 * @param command          what every rank runs
 * @param maxRestarts      restarts after failures before giving up (default 3)
 * @param checkpointDir    where the job checkpoints; null for the controller's default
 * @param timeLimitSeconds how long one run may last; null for no limit
 */
public record JobRequest(String name, String team, int gpus, Integer tp, Integer pp, Integer cp, Integer priority,
                         List<String> command, Integer maxRestarts, String checkpointDir, Long timeLimitSeconds) {
    /** The longest time limit accepted: a year, as {@code gpufleet.core.job.TimeLimit.MAX_SECONDS}. */
    public static final long MAX_TIME_LIMIT_SECONDS = 365L * 86_400;
    public static final int MAX_GPUS = 10_000_000;

    public JobRequest {
        Fields.required("name", name);
        name = Fields.text("name", name, 200);
        team = Fields.text("team", team, 128);
        Fields.range("gpus", gpus, 1, MAX_GPUS);
        tp = Fields.range("tp", tp, 1, 1, 64);
        pp = Fields.range("pp", pp, 1, 1, 100_000);
        cp = Fields.range("cp", cp, 1, 1, 100_000);
        priority = Fields.range("priority", priority, 1, 0, 1000);
        Fields.required("command", command);
        command = Fields.list("command", command, 1000);
        if (command.isEmpty()) throw new InvalidField("command", "must not be empty");
        for (String arg : command) {
            if (arg.length() > 4096) throw InvalidField.said("command", "an item of 'command' is longer than 4096 characters");
            if (arg.indexOf('\0') >= 0) throw InvalidField.said("command", "an item of 'command' contains a NUL character");
        }
        maxRestarts = Fields.range("maxRestarts", maxRestarts, 3, 0, 1000);
        checkpointDir = Fields.text("checkpointDir", checkpointDir, 4096);
        if (timeLimitSeconds != null && (timeLimitSeconds < 1 || timeLimitSeconds > MAX_TIME_LIMIT_SECONDS))
            throw new InvalidField("timeLimitSeconds", "must be in [1, " + MAX_TIME_LIMIT_SECONDS + "], got " + timeLimitSeconds);
        if (gpus % tp != 0) throw InvalidField.said("tp", "tp (" + tp + ") must divide gpus (" + gpus + ")");
        long group = (long) tp * pp * cp;
        if (gpus % group != 0)
            throw InvalidField.said(gpus % ((long) tp * pp) != 0 ? "pp" : "cp",
                    "gpus (" + gpus + ") must be a multiple of tp x pp x cp (" + group + ")");
    }

    /** A job with every option at its default. */
    public JobRequest(String name, int gpus, List<String> command) {
        this(name, null, gpus, null, null, null, null, command, null, null, null);
    }
}
