package gpufleet.agent.gpu;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Prints what NVML reports on this host, then listens for health events: the check to run on a
 * machine with real NVIDIA GPUs (agent/src/test/device/nvml-check.sh runs it), to compare against
 * nvidia-smi.
 *
 * <p>Usage: {@code NvmlProbe [--library PATH] [--wait SECONDS]}. Exit status 0 when NVML answered,
 * 2 when it is not available, 64 for bad arguments.
 */
public final class NvmlProbe {

    private NvmlProbe() {}

    public static void main(String[] args) throws InterruptedException {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws InterruptedException {
        Path library = null;
        int waitSeconds = 10;
        try {
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--library" -> library = Path.of(args[++i]);
                    case "--wait" -> waitSeconds = Integer.parseInt(args[++i]);
                    default -> throw new IllegalArgumentException("unknown argument " + args[i]);
                }
            }
            if (waitSeconds < 0) {
                throw new IllegalArgumentException("--wait must be >= 0");
            }
        } catch (RuntimeException e) {
            err.println("usage: NvmlProbe [--library PATH] [--wait SECONDS]: " + e.getMessage());
            return 64;
        }

        Nvml nvml;
        try {
            nvml = Nvml.open(library);
        } catch (NvmlException e) {
            err.println(e.getMessage());
            return 2;
        }
        try (nvml) {
            out.println(nvml.describe());
            List<GpuReading> readings = nvml.read();
            for (GpuInfo gpu : nvml.gpus()) {
                GpuReading reading = readings.stream().filter(r -> r.index() == gpu.index()).findFirst().orElse(null);
                out.printf("GPU %d  %s  %s  %d MiB  %s%n", gpu.index(), gpu.uuid(), gpu.model(), gpu.memoryBytes() >> 20,
                        reading == null ? "no reading (lost?)"
                                : reading.temperatureC() + " C, " + (reading.memoryUsedBytes() >> 20) + " MiB used");
            }
            out.printf("waiting %d s for health events%n", waitSeconds);
            long deadline = System.nanoTime() + Duration.ofSeconds(waitSeconds).toNanos();
            int seen = 0;
            int fatal = 0;
            do {
                long started = System.nanoTime();
                long leftMs = Math.max(0, (deadline - started) / 1_000_000);
                List<GpuEvent> events = nvml.poll(Duration.ofMillis(Math.min(leftMs, 1000)));
                for (GpuEvent e : events) {
                    seen++;
                    fatal += e.fatal() ? 1 : 0;
                    out.printf("event GPU %d %s %s code %d %s: %s%n", e.index(), e.uuid(), e.kind(), e.code(),
                            e.fatal() ? "FATAL" : "not fatal", e.detail());
                }
            } while (System.nanoTime() < deadline);
            out.printf("done: %d event(s), %d fatal%n", seen, fatal);
            return 0;
        }
    }
}
