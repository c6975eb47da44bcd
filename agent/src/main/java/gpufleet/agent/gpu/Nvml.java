package gpufleet.agent.gpu;

import static gpufleet.agent.gpu.NvmlLibrary.ERROR_GPU_IS_LOST;
import static gpufleet.agent.gpu.NvmlLibrary.ERROR_NOT_SUPPORTED;
import static gpufleet.agent.gpu.NvmlLibrary.ERROR_NO_PERMISSION;
import static gpufleet.agent.gpu.NvmlLibrary.ERROR_TIMEOUT;
import static gpufleet.agent.gpu.NvmlLibrary.EVENT_DOUBLE_BIT_ECC;
import static gpufleet.agent.gpu.NvmlLibrary.EVENT_SINGLE_BIT_ECC;
import static gpufleet.agent.gpu.NvmlLibrary.EVENT_XID;
import static gpufleet.agent.gpu.NvmlLibrary.SUCCESS;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * GPUs as NVIDIA's driver sees them, through NVML.
 *
 * <p>Discovery happens once, in {@link #open}: the GPU list, and one event set with every GPU
 * registered for XID and ECC events. A GPU that cannot deliver events (NVML answers "not supported",
 * e.g. a consumer board without ECC, or "no permission") is still listed, and {@link #describe}
 * names it, rather than failing the whole host.
 *
 * <p>Threads. NVML itself is thread-safe. {@link #poll} blocks inside nvmlEventSetWait, which cannot
 * be interrupted from Java, so it waits in slices of at most {@value #WAIT_SLICE_MS} ms and checks
 * for interruption and {@link #close} between slices: a blocked poll ends within one slice of either.
 * A virtual thread would pin its carrier for each slice, so poll belongs on a platform thread.
 * Polls are serialized (they share one event set); {@link #read} may run beside a poll. Every native
 * call holds the read side of a lifecycle lock and {@link #close} takes the write side, so the event
 * set is freed and nvmlShutdown called exactly once, after the last call into NVML has returned.
 */
public final class Nvml implements GpuBackend {

    private static final long EVENT_MASK = EVENT_XID | EVENT_DOUBLE_BIT_ECC | EVENT_SINGLE_BIT_ECC;
    private static final int WAIT_SLICE_MS = 200;
    /** Bounds one poll's batch so a storm of events cannot keep a caller from heartbeating. */
    private static final int MAX_EVENTS_PER_POLL = 256;
    private static final Duration LONGEST_WAIT = Duration.ofDays(1);

    private final NvmlLibrary lib;
    private final String driverVersion;
    private final List<MemorySegment> handles;
    private final List<GpuInfo> gpus;
    private final MemorySegment eventSet;
    /** GPU index to why NVML will not deliver its events. */
    private final Map<Integer, String> unwatched;

    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private final ReentrantLock pollLock = new ReentrantLock();
    private boolean closed; // guarded by lifecycle
    private final Set<Integer> reportedLost = new HashSet<>(); // guarded by pollLock

    private Nvml(NvmlLibrary lib, String driverVersion, List<MemorySegment> handles, List<GpuInfo> gpus,
                 MemorySegment eventSet, Map<Integer, String> unwatched) {
        this.lib = lib;
        this.driverVersion = driverVersion;
        this.handles = handles;
        this.gpus = gpus;
        this.eventSet = eventSet;
        this.unwatched = unwatched;
    }

    /** Opens NVML by name ({@value NvmlLibrary#DEFAULT_NAME}) through the dynamic linker's search path. */
    public static Nvml open() {
        return open(null);
    }

    /**
     * Opens NVML from {@code library} (by name when null), initializes it and discovers the GPUs.
     *
     * @throws NvmlException when the library cannot be loaded or initialized, or discovery fails;
     *     the message starts with "NVML not available" for the first two
     */
    public static Nvml open(Path library) {
        NvmlLibrary lib = NvmlLibrary.load(library);
        int rc = lib.init();
        if (rc != SUCCESS) {
            String why = lib.errorString(rc);
            lib.close();
            throw new NvmlException("NVML not available: nvmlInit_v2 failed: " + why, rc);
        }
        MemorySegment eventSet = MemorySegment.NULL;
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment text = scratch.allocate(NvmlLibrary.DRIVER_VERSION_BUFFER);
            check(lib, "nvmlSystemGetDriverVersion", lib.driverVersion(text));
            String driverVersion = text.getString(0);

            MemorySegment count = scratch.allocate(JAVA_INT);
            check(lib, "nvmlDeviceGetCount_v2", lib.deviceCount(count));
            int n = count.get(JAVA_INT, 0);

            List<MemorySegment> handles = new ArrayList<>(n);
            List<GpuInfo> gpus = new ArrayList<>(n);
            MemorySegment handle = scratch.allocate(ADDRESS);
            MemorySegment uuid = scratch.allocate(NvmlLibrary.UUID_BUFFER);
            MemorySegment name = scratch.allocate(NvmlLibrary.NAME_BUFFER);
            MemorySegment memory = scratch.allocate(NvmlLibrary.MEMORY);
            for (int i = 0; i < n; i++) {
                check(lib, "nvmlDeviceGetHandleByIndex_v2(" + i + ")", lib.handleByIndex(i, handle));
                // A device handle is an opaque pointer that stays valid until nvmlShutdown.
                MemorySegment device = handle.get(ADDRESS, 0);
                check(lib, "nvmlDeviceGetUUID(GPU " + i + ")", lib.deviceUuid(device, uuid));
                check(lib, "nvmlDeviceGetName(GPU " + i + ")", lib.deviceName(device, name));
                check(lib, "nvmlDeviceGetMemoryInfo(GPU " + i + ")", lib.memoryInfo(device, memory));
                handles.add(device);
                gpus.add(new GpuInfo(i, uuid.getString(0), name.getString(0),
                        memory.get(JAVA_LONG, NvmlLibrary.MEMORY_TOTAL)));
            }

            MemorySegment set = scratch.allocate(ADDRESS);
            check(lib, "nvmlEventSetCreate", lib.eventSetCreate(set));
            eventSet = set.get(ADDRESS, 0);
            Map<Integer, String> unwatched = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                int registered = lib.registerEvents(handles.get(i), EVENT_MASK, eventSet);
                if (registered == ERROR_NOT_SUPPORTED) {
                    // Boards without ECC refuse the whole mask but still report XIDs.
                    registered = lib.registerEvents(handles.get(i), EVENT_XID, eventSet);
                }
                if (registered == ERROR_NOT_SUPPORTED || registered == ERROR_NO_PERMISSION) {
                    unwatched.put(i, lib.errorString(registered));
                } else {
                    check(lib, "nvmlDeviceRegisterEvents(GPU " + i + ")", registered);
                }
            }
            return new Nvml(lib, driverVersion, List.copyOf(handles), List.copyOf(gpus), eventSet,
                    Map.copyOf(unwatched));
        } catch (RuntimeException e) {
            if (!eventSet.equals(MemorySegment.NULL)) {
                lib.eventSetFree(eventSet);
            }
            lib.shutdown();
            lib.close();
            throw e;
        }
    }

    /** The driver version NVML reports, e.g. "550.54.15". */
    public String driverVersion() {
        return driverVersion;
    }

    @Override
    public String describe() {
        String text = "NVML, driver " + driverVersion;
        if (!unwatched.isEmpty()) {
            List<String> why = unwatched.entrySet().stream()
                    .sorted(Map.Entry.comparingByKey())
                    .map(e -> "GPU " + e.getKey() + " (" + e.getValue() + ")")
                    .toList();
            text += "; no health events from " + String.join(", ", why);
        }
        return text;
    }

    @Override
    public List<GpuInfo> gpus() {
        return gpus;
    }

    /**
     * Current temperature and memory in use. A GPU that has fallen off the bus has no reading and is
     * left out; {@link #poll} reports it as {@link GpuEvent.Kind#LOST}.
     */
    @Override
    public List<GpuReading> read() {
        lifecycle.readLock().lock();
        try (Arena scratch = Arena.ofConfined()) {
            ensureOpen();
            MemorySegment celsius = scratch.allocate(JAVA_INT);
            MemorySegment memory = scratch.allocate(NvmlLibrary.MEMORY);
            List<GpuReading> readings = new ArrayList<>(handles.size());
            for (int i = 0; i < handles.size(); i++) {
                int rc = lib.temperature(handles.get(i), celsius);
                if (rc == SUCCESS) {
                    rc = lib.memoryInfo(handles.get(i), memory);
                }
                if (rc == ERROR_GPU_IS_LOST) {
                    continue;
                }
                check(lib, "reading GPU " + i, rc);
                readings.add(new GpuReading(i, celsius.get(JAVA_INT, 0), memory.get(JAVA_LONG, NvmlLibrary.MEMORY_USED)));
            }
            return List.copyOf(readings);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * Every GPU's telemetry: temperature and memory as {@link #read}, and utilization, power and
     * uncorrected ECC errors where the driver gives them (null where it does not, or where a GPU
     * answers NOT_SUPPORTED, as ECC does on GPUs with ECC off). A lost GPU is left out.
     */
    @Override
    public List<gpufleet.protocol.GpuTelemetry> telemetry(java.util.Set<Integer> busy) {
        lifecycle.readLock().lock();
        try (Arena scratch = Arena.ofConfined()) {
            ensureOpen();
            MemorySegment celsius = scratch.allocate(JAVA_INT);
            MemorySegment memory = scratch.allocate(NvmlLibrary.MEMORY);
            MemorySegment rates = scratch.allocate(NvmlLibrary.UTILIZATION);
            MemorySegment milliwatts = scratch.allocate(JAVA_INT);
            MemorySegment ecc = scratch.allocate(JAVA_LONG);
            List<gpufleet.protocol.GpuTelemetry> out = new ArrayList<>(handles.size());
            for (int i = 0; i < handles.size(); i++) {
                MemorySegment h = handles.get(i);
                int rc = lib.temperature(h, celsius);
                if (rc == SUCCESS) rc = lib.memoryInfo(h, memory);
                if (rc == ERROR_GPU_IS_LOST) continue;
                check(lib, "reading GPU " + i, rc);
                Integer util = lib.utilization(h, rates) == SUCCESS ? rates.get(JAVA_INT, 0) : null;
                Integer watts = lib.power(h, milliwatts) == SUCCESS ? Integer.divideUnsigned(milliwatts.get(JAVA_INT, 0), 1000) : null;
                Long errors = lib.uncorrectedEccErrors(h, ecc) == SUCCESS ? ecc.get(JAVA_LONG, 0) : null;
                out.add(new gpufleet.protocol.GpuTelemetry(i, util, memory.get(JAVA_LONG, NvmlLibrary.MEMORY_USED),
                        memory.get(JAVA_LONG, NvmlLibrary.MEMORY_TOTAL), watts, celsius.get(JAVA_INT, 0), errors));
            }
            return List.copyOf(out);
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    /**
     * Waits up to {@code timeout} for the first health event, then returns it with every other event
     * already queued. An empty list means the timeout passed quietly.
     *
     * @throws InterruptedException  when the calling thread is interrupted (noticed within one slice)
     * @throws IllegalStateException when the backend is closed, before or during the wait
     */
    @Override
    public List<GpuEvent> poll(Duration timeout) throws InterruptedException {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("negative timeout: " + timeout);
        }
        long deadline = System.nanoTime() + (timeout.compareTo(LONGEST_WAIT) > 0 ? LONGEST_WAIT : timeout).toNanos();
        pollLock.lockInterruptibly();
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment data = scratch.allocate(NvmlLibrary.EVENT_DATA);
            List<GpuEvent> events = new ArrayList<>();
            while (true) {
                if (Thread.interrupted()) {
                    throw new InterruptedException("interrupted while waiting for NVML events");
                }
                long leftNanos = deadline - System.nanoTime();
                int sliceMs = Math.clamp((leftNanos + 999_999) / 1_000_000, 0, WAIT_SLICE_MS);
                waitOnce(data, sliceMs, events);
                if (!events.isEmpty()) {
                    while (events.size() < MAX_EVENTS_PER_POLL && waitOnce(data, 0, events)) {
                        // collect what is already queued so one burst is one batch
                    }
                    return List.copyOf(events);
                }
                if (leftNanos <= 0) {
                    return List.of();
                }
            }
        } finally {
            pollLock.unlock();
        }
    }

    /**
     * One nvmlEventSetWait. Adds what it learned to {@code events}; answers whether NVML delivered
     * anything, even an event this agent ignores, so a drain loop knows to ask again.
     */
    private boolean waitOnce(MemorySegment data, int timeoutMs, List<GpuEvent> events) throws InterruptedException {
        int rc;
        lifecycle.readLock().lock();
        try {
            ensureOpen();
            if (unwatched.size() == handles.size()) {
                rc = ERROR_TIMEOUT; // nothing registered: there is nothing to wait on
            } else {
                rc = lib.eventSetWait(eventSet, data, timeoutMs);
            }
            if (rc == SUCCESS) {
                GpuEvent event = toEvent(data);
                if (event != null) {
                    events.add(event);
                }
                return true;
            }
            if (rc == ERROR_GPU_IS_LOST) {
                int before = events.size();
                findLostGpus(events);
                if (events.size() > before) {
                    return true;
                }
            } else if (rc != ERROR_TIMEOUT) {
                throw new NvmlException("nvmlEventSetWait_v2 failed: " + lib.errorString(rc), rc);
            }
        } finally {
            lifecycle.readLock().unlock();
        }
        // NVML returns at once when there is nothing to wait on, or when a GPU already reported lost
        // is still lost; sleep out the slice so the caller's loop does not spin.
        if (rc == ERROR_GPU_IS_LOST || unwatched.size() == handles.size()) {
            Thread.sleep(timeoutMs);
        }
        return false;
    }

    private GpuEvent toEvent(MemorySegment data) {
        long device = data.get(ADDRESS, NvmlLibrary.EVENT_DEVICE).address();
        long type = data.get(JAVA_LONG, NvmlLibrary.EVENT_TYPE);
        long payload = data.get(JAVA_LONG, NvmlLibrary.EVENT_PAYLOAD);
        int index = indexOf(device);
        String uuid = index >= 0 ? gpus.get(index).uuid() : "unknown";
        if ((type & EVENT_XID) != 0) {
            int gpuInstance = data.get(JAVA_INT, NvmlLibrary.EVENT_GPU_INSTANCE);
            int computeInstance = data.get(JAVA_INT, NvmlLibrary.EVENT_COMPUTE_INSTANCE);
            String where = gpuInstance == NvmlLibrary.NO_INSTANCE ? ""
                    : " (MIG GPU instance " + gpuInstance
                      + (computeInstance == NvmlLibrary.NO_INSTANCE ? "" : ", compute instance " + computeInstance) + ")";
            return new GpuEvent(index, uuid, GpuEvent.Kind.XID, payload, Xid.isFatal(payload), Xid.describe(payload) + where);
        }
        // NVML carries no count with ECC events; eventData is passed on as NVML gave it.
        if ((type & EVENT_DOUBLE_BIT_ECC) != 0) {
            return new GpuEvent(index, uuid, GpuEvent.Kind.ECC_DOUBLE_BIT, payload, true, "double-bit ECC error");
        }
        if ((type & EVENT_SINGLE_BIT_ECC) != 0) {
            return new GpuEvent(index, uuid, GpuEvent.Kind.ECC_SINGLE_BIT, payload, false, "single-bit ECC error (corrected)");
        }
        return null;
    }

    // nvmlEventSetWait says a GPU is lost but not which; the lost one fails every query with the same code.
    private void findLostGpus(List<GpuEvent> events) {
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment celsius = scratch.allocate(JAVA_INT);
            for (int i = 0; i < handles.size(); i++) {
                if (lib.temperature(handles.get(i), celsius) == ERROR_GPU_IS_LOST && reportedLost.add(i)) {
                    events.add(new GpuEvent(i, gpus.get(i).uuid(), GpuEvent.Kind.LOST, 0, true,
                            "GPU is lost: NVML can no longer reach it"));
                }
            }
        }
    }

    private int indexOf(long deviceAddress) {
        for (int i = 0; i < handles.size(); i++) {
            if (handles.get(i).address() == deviceAddress) {
                return i;
            }
        }
        return -1;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("NVML backend is closed");
        }
    }

    /** Frees the event set and shuts NVML down, once; later calls do nothing. */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            lib.eventSetFree(eventSet);
            lib.shutdown();
            lib.close();
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    private static void check(NvmlLibrary lib, String call, int rc) {
        if (rc != SUCCESS) {
            throw new NvmlException(call + " failed: " + lib.errorString(rc), rc);
        }
    }
}
