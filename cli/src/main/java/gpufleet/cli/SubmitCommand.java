package gpufleet.cli;

import gpufleet.core.job.Priority;
import gpufleet.core.job.TimeLimit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import gpufleet.protocol.JobRequest;
import gpufleet.protocol.JobView;
import gpufleet.protocol.WarningsView;
import tools.jackson.databind.JsonNode;

import java.util.List;

/** {@code gpufleet submit ... -- command args...}, like sbatch. */
@Command(name = "submit", description = "Submit a training job to the controller; prints its id.")
final class SubmitCommand implements Runnable {
    @Mixin ControllerClient.Server server;
    @Mixin ControllerClient.Output output;

    @Option(names = "--name", required = true, description = "job name") String name;
    @Option(names = "--gpus", required = true, description = "GPUs for the whole job") int gpus;
    @Option(names = "--tp", description = "tensor-parallel degree; a group never spans hosts (default 1)") Integer tp;
    @Option(names = "--pp", description = "pipeline-parallel degree (default 1)") Integer pp;
    @Option(names = "--cp", description = "context-parallel degree (default 1)") Integer cp;
    @Option(names = "--team", description = "team whose quota it counts against (default: a member's own team, else default)")
    String team;
    @Option(names = "--priority", defaultValue = "normal", description = "low, normal, high, critical or 0..1000 (default: ${DEFAULT-VALUE})")
    String priority;
    @Option(names = "--checkpoint-dir", paramLabel = "DIR",
            description = "where the job checkpoints, on storage every host mounts (default: the controller's"
                    + " --checkpoint-root/<job id>, else each host's local disk); given to ranks as $GPUFLEET_CHECKPOINT_DIR")
    String checkpointDir;
    @Option(names = "--max-restarts", paramLabel = "N", description = "restarts after failures before giving up (controller default 3)")
    Integer maxRestarts;
    @Option(names = {"--time-limit", "-t"}, paramLabel = "DURATION",
            description = "how long one run may last, as Slurm's --time: 90m, 2h, 1d, 1h30m, HH:MM:SS, D-HH:MM:SS"
                    + " (a bare number is minutes). Backfill takes it as the job's run time; the controller ends a"
                    + " run that outlasts it (FAILED). Default: no limit")
    String timeLimit;
    @Parameters(arity = "1..*", paramLabel = "COMMAND", description = "what every rank runs, after --")
    List<String> command;

    @Override
    public void run() {
        Long limit = timeLimit == null ? null : TimeLimit.parse(timeLimit);
        // unset options stay null: the request type puts the contract's defaults in
        var body = new JobRequest(name, team, gpus, tp, pp, cp, Priority.parse(priority), command, maxRestarts,
                checkpointDir, limit);
        ControllerClient c = server.client();
        JsonNode answer = c.post("/jobs", body);
        if (output.json()) output.print(answer);
        else System.out.println("submitted job " + c.view(answer, JobView.class).id());
        for (String w : c.view(answer, WarningsView.class).warnings()) System.err.println("warning: " + w);
    }
}
