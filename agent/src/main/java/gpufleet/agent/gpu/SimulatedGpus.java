package gpufleet.agent.gpu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * GPUs that exist only in this process, for hosts without NVIDIA hardware and for tests.
 *
 * <p>UUIDs derive from a seed (the host name by default), so an agent restarted on the same host
 * presents the same GPUs and the controller sees the same devices. Faults come in two ways:
 * {@link #inject} from inside the process, and files dropped into the inject directory from outside
 * it (see {@link #requestXid}), which is how an operator or an end-to-end test breaks a GPU on a
 * running agent. Files are read by {@link #poll}, so no extra thread watches the directory.
 */
public final class SimulatedGpus implements GpuBackend {

    public static final String DEFAULT_MODEL = "NVIDIA H100 80GB HBM3 (simulated)";
    public static final long DEFAULT_MEMORY_BYTES = 80L << 30;

    /** Inject files are named with this prefix; anything else in the directory is left alone. */
    static final String INJECT_PREFIX = "xid-";
    /** A file that could not be parsed is renamed with this suffix so it is neither lost nor reread. */
    static final String REJECTED_SUFFIX = ".rejected";

    private static final long SCAN_SLICE_MS = 100;
    /** Orders this process's requests within one millisecond. */
    private static final AtomicLong REQUEST_SEQUENCE = new AtomicLong();
    private static final Duration LONGEST_WAIT = Duration.ofDays(1);

    private final List<GpuInfo> gpus;
    private final Path injectDir;
    private final LinkedBlockingQueue<GpuEvent> injected = new LinkedBlockingQueue<>();
    private final AtomicLong reads = new AtomicLong();
    private final java.util.Map<Integer, Long> eccErrors = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile boolean closed;

    /** Simulated GPUs whose UUIDs derive from this host's name. */
    public SimulatedGpus(int count, String model, Path injectDir) {
        this(count, model, injectDir, hostName());
    }

    /**
     * @param count     how many GPUs, at least 1
     * @param model     the model name every GPU reports
     * @param injectDir where other processes drop XID requests, or null for none; created if missing
     * @param seed      what the UUIDs derive from: the same seed gives the same UUIDs
     */
    public SimulatedGpus(int count, String model, Path injectDir, String seed) {
        if (count < 1) {
            throw new IllegalArgumentException("a simulated host needs at least 1 GPU, not " + count);
        }
        if (model == null || model.isBlank()) {
            throw new IllegalArgumentException("model must not be blank");
        }
        this.gpus = IntStream.range(0, count)
                .mapToObj(i -> new GpuInfo(i, uuidFor(seed, i), model, DEFAULT_MEMORY_BYTES))
                .toList();
        this.injectDir = injectDir;
        if (injectDir != null) {
            try {
                Files.createDirectories(injectDir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the XID inject directory " + injectDir, e);
            }
        }
    }

    /**
     * Asks a running agent's simulated GPUs for an XID, from another process: writes a file that the
     * agent's next {@link #poll} consumes. The file appears whole or not at all (written aside, then
     * moved in), so the agent never reads half a request.
     *
     * @return the request file
     */
    public static Path requestXid(Path injectDir, int gpu, int xid) throws IOException {
        if (xid <= 0) {
            throw new IllegalArgumentException("XID must be positive, not " + xid);
        }
        return request(injectDir, gpu, Integer.toString(xid));
    }

    /** Asks the agent reading {@code injectDir} to report GPU {@code gpu} healthy again, as a reset GPU would be. */
    public static Path requestHeal(Path injectDir, int gpu) throws IOException {
        return request(injectDir, gpu, HEAL);
    }

    private static final String HEAL = "healed";

    private static Path request(Path injectDir, int gpu, String what) throws IOException {
        if (gpu < 0) {
            throw new IllegalArgumentException("GPU index must be >= 0, not " + gpu);
        }
        Files.createDirectories(injectDir);
        String id = String.format("%016x-%08x-%s", System.currentTimeMillis(), REQUEST_SEQUENCE.getAndIncrement(),
                UUID.randomUUID());
        // The temporary name lacks the prefix, so a scan racing with this write skips it.
        Path temp = injectDir.resolve(".tmp-" + id);
        Path target = injectDir.resolve(INJECT_PREFIX + id);
        Files.writeString(temp, gpu + " " + what + "\n", StandardCharsets.US_ASCII);
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            Files.deleteIfExists(temp);
            throw e;
        }
        return target;
    }

    /** Raises {@code xid} on GPU {@code gpu}; the next {@link #poll} reports it. */
    public void inject(int gpu, int xid) {
        checkIndex(gpu);
        if (xid <= 0) {
            throw new IllegalArgumentException("XID must be positive, not " + xid);
        }
        injected.add(xidEvent(gpu, xid));
    }

    @Override
    public String describe() {
        return "simulated, " + gpus.size() + " GPUs" + (injectDir == null ? "" : ", XID requests from " + injectDir);
    }

    @Override
    public List<GpuInfo> gpus() {
        return gpus;
    }

    /** Temperatures that drift a little between reads, in the range an idle data-centre GPU shows. */
    @Override
    public List<GpuReading> read() {
        ensureOpen();
        long n = reads.getAndIncrement();
        return gpus.stream()
                .map(g -> new GpuReading(g.index(), 34 + g.index() % 5 + (int) ((n + g.index()) % 4), 0))
                .toList();
    }

    /**
     * Plausible H100 readings: a GPU that runs a rank is 88-99% utilized, holds most of its memory and
     * draws 560-690 W at 63-78 °C; an idle one draws about 70 W at 34-40 °C. The figures drift a little
     * between reads, so a panel that redraws shows them move.
     */
    @Override
    public List<gpufleet.protocol.GpuTelemetry> telemetry(java.util.Set<Integer> busy) {
        ensureOpen();
        long n = reads.getAndIncrement();
        List<gpufleet.protocol.GpuTelemetry> out = new ArrayList<>(gpus.size());
        for (GpuInfo g : gpus) {
            int i = g.index();
            int wobble = (int) ((n * 7 + i * 3) % 12);
            boolean on = busy.contains(i);
            long total = g.memoryBytes();
            out.add(new gpufleet.protocol.GpuTelemetry(i, on ? 88 + wobble : 0,
                    on ? total * (78 + wobble) / 100 : 512L << 20, total, on ? 560 + 11 * wobble : 68 + wobble % 5,
                    on ? 63 + wobble + i % 4 : 34 + i % 5 + wobble % 3, eccErrors.getOrDefault(i, 0L)));
        }
        return out;
    }

    @Override
    public List<GpuEvent> poll(Duration timeout) throws InterruptedException {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative timeout: " + timeout);
        }
        long deadline = System.nanoTime() + (timeout.compareTo(LONGEST_WAIT) > 0 ? LONGEST_WAIT : timeout).toNanos();
        List<GpuEvent> events = new ArrayList<>();
        while (true) {
            ensureOpen();
            consumeRequests();
            injected.drainTo(events);
            if (!events.isEmpty()) {
                return List.copyOf(events);
            }
            long leftNanos = deadline - System.nanoTime();
            if (leftNanos <= 0) {
                return List.of();
            }
            // Wake at once for an in-process injection; rescan the directory at least every slice.
            GpuEvent first = injected.poll(Math.min(leftNanos, TimeUnit.MILLISECONDS.toNanos(SCAN_SLICE_MS)),
                    TimeUnit.NANOSECONDS);
            if (first != null) {
                events.add(first);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
    }

    // Oldest request first: names start with the writer's clock and sequence, zero-padded, so they
    // sort by time (requests from different processes in the same millisecond have no order).
    private void consumeRequests() {
        if (injectDir == null) {
            return;
        }
        List<Path> requests = new ArrayList<>();
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(injectDir, INJECT_PREFIX + "*")) {
            for (Path p : dir) {
                if (!p.getFileName().toString().endsWith(REJECTED_SUFFIX)) {
                    requests.add(p);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the XID inject directory " + injectDir, e);
        }
        requests.sort(null);
        for (Path request : requests) {
            String text;
            try {
                text = Files.readString(request, StandardCharsets.US_ASCII);
                Files.delete(request);
            } catch (NoSuchFileException e) {
                continue; // another poller took it
            } catch (IOException e) {
                throw new UncheckedIOException("cannot consume XID request " + request, e);
            }
            try {
                injected.add(parseRequest(text));
            } catch (IllegalArgumentException e) {
                reject(request, text, e.getMessage());
            }
        }
    }

    private GpuEvent parseRequest(String text) {
        String[] fields = text.trim().split("\\s+");
        if (fields.length != 2) {
            throw new IllegalArgumentException("expected \"<gpu> <xid>\"");
        }
        int gpu;
        int xid;
        try {
            gpu = Integer.parseInt(fields[0]);
            if (fields[1].equals(HEAL)) {
                checkIndex(gpu);
                return new GpuEvent(gpu, gpus.get(gpu).uuid(), GpuEvent.Kind.RECOVERED, 0, false, "healthy again");
            }
            xid = Integer.parseInt(fields[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected \"<gpu> <xid>\" as two integers");
        }
        checkIndex(gpu);
        if (xid <= 0) {
            throw new IllegalArgumentException("XID must be positive, not " + xid);
        }
        return xidEvent(gpu, xid);
    }

    // Kept under a new name with the reason, so whoever wrote it can see why nothing happened.
    private static void reject(Path request, String text, String reason) {
        try {
            Files.writeString(request.resolveSibling(request.getFileName() + REJECTED_SUFFIX),
                    text.strip() + "\n# rejected: " + reason + "\n", StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep rejected XID request " + request, e);
        }
    }

    private GpuEvent xidEvent(int gpu, int xid) {
        // XID 48 is a double-bit ECC error: the simulated GPU's ECC counter shows it, as NVML's would
        if (xid == 48) eccErrors.merge(gpu, 1L, Long::sum);
        return new GpuEvent(gpu, gpus.get(gpu).uuid(), GpuEvent.Kind.XID, xid, Xid.isFatal(xid), Xid.describe(xid));
    }

    private void checkIndex(int gpu) {
        if (gpu < 0 || gpu >= gpus.size()) {
            throw new IllegalArgumentException("no GPU " + gpu + ": this host simulates " + gpus.size()
                    + " GPUs (0-" + (gpus.size() - 1) + ")");
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("simulated GPUs are closed");
        }
    }

    private static String uuidFor(String seed, int index) {
        return "GPU-" + UUID.nameUUIDFromBytes((seed + "/gpu/" + index).getBytes(StandardCharsets.UTF_8));
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            // Without a resolvable name the UUIDs are still stable, just shared with other such hosts.
            return "localhost";
        }
    }
}
