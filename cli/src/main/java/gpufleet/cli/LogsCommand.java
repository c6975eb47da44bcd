package gpufleet.cli;

import gpufleet.protocol.JobView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code gpufleet logs ID [--rank R] [--follow]}. */
@Command(name = "logs", description = {"Print a rank's output as the controller holds it.",
        "With --follow, keep printing new output until the job has ended and all of it is printed."})
final class LogsCommand implements Runnable {
    static final long POLL_MILLIS = 500;

    @Mixin ControllerClient.Server server;

    @Parameters(paramLabel = "ID", description = "job id") long id;
    @Option(names = "--rank", defaultValue = "0", description = "which rank (default: ${DEFAULT-VALUE})") int rank;
    @Option(names = {"-f", "--follow"}, description = "keep printing until the job ends") boolean follow;

    @Override
    public void run() {
        ControllerClient c = server.client();
        long offset = 0;
        while (true) {
            // look at the state before reading: bytes written before the job ended are then read in this round
            boolean ended = follow && Jobs.ended(c.view(c.get("/jobs/" + id), JobView.class));
            offset = printFrom(c, offset);
            if (!follow || ended) return;
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Prints everything from {@code offset} on, in as many reads as it takes; returns the new offset. */
    private long printFrom(ControllerClient c, long offset) {
        String path = "/jobs/" + id + "/logs/" + rank + "?offset=";
        while (true) {
            ControllerClient.Bytes b = c.bytes(path + offset);
            if (b.body().length == 0) return offset;
            System.out.write(b.body(), 0, b.body().length);
            System.out.flush();
            offset += b.body().length;
            if (offset >= b.size()) return offset;
        }
    }
}
