package gpufleet.agent.gpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The NVML entry points the agent uses, bound with the FFM API: one Java method per C function,
 * answering the raw nvmlReturn_t. Policy (what a code means for the agent) lives in {@link Nvml}.
 *
 * <p>Signatures, constants and struct layouts follow NVIDIA's nvml.h and the NVML API reference.
 * The {@code _v2} entry points are bound where they exist because the unversioned ones remain only
 * for binaries built against old headers. Every function here returns nvmlReturn_t (a C enum, so
 * an int), except nvmlErrorString.
 *
 * <p>Binding native code is what this class is for, so its restricted FFM calls are deliberate; the
 * agent runs with {@code --enable-native-access=ALL-UNNAMED}.
 */
@SuppressWarnings("restricted")
final class NvmlLibrary implements AutoCloseable {

    static final String DEFAULT_NAME = "libnvidia-ml.so.1";

    static final int SUCCESS = 0;
    static final int ERROR_NOT_SUPPORTED = 3;
    static final int ERROR_NO_PERMISSION = 4;
    static final int ERROR_TIMEOUT = 10;
    static final int ERROR_LIBRARY_NOT_FOUND = 12;
    static final int ERROR_FUNCTION_NOT_FOUND = 13;
    static final int ERROR_GPU_IS_LOST = 15;

    // Event type bits from nvml.h. Note that 0x4 is nvmlEventTypePState, not an ECC event.
    static final long EVENT_SINGLE_BIT_ECC = 0x1L;
    static final long EVENT_DOUBLE_BIT_ECC = 0x2L;
    static final long EVENT_XID = 0x8L;

    static final int TEMPERATURE_GPU = 0;

    /** gpuInstanceId / computeInstanceId when an event is not attributable to a MIG instance. */
    static final int NO_INSTANCE = 0xFFFFFFFF;

    // Sizes nvml.h guarantees to be large enough (the V2 sizes for UUID and name).
    static final int DRIVER_VERSION_BUFFER = 80;
    static final int UUID_BUFFER = 96;
    static final int NAME_BUFFER = 96;

    /** nvmlMemory_t, in bytes. */
    static final StructLayout MEMORY = MemoryLayout.structLayout(
            JAVA_LONG.withName("total"), JAVA_LONG.withName("free"), JAVA_LONG.withName("used"));
    static final long MEMORY_TOTAL = MEMORY.byteOffset(PathElement.groupElement("total"));
    static final long MEMORY_USED = MEMORY.byteOffset(PathElement.groupElement("used"));

    /**
     * nvmlEventData_t: the device handle, the event type bit and its data (the XID for XID events),
     * both unsigned long long, then the MIG GPU and compute instance ids, both unsigned int. 32 bytes
     * on LP64 with no padding.
     */
    static final StructLayout EVENT_DATA = MemoryLayout.structLayout(
            ADDRESS.withName("device"),
            JAVA_LONG.withName("eventType"),
            JAVA_LONG.withName("eventData"),
            JAVA_INT.withName("gpuInstanceId"),
            JAVA_INT.withName("computeInstanceId"));
    static final long EVENT_DEVICE = EVENT_DATA.byteOffset(PathElement.groupElement("device"));
    static final long EVENT_TYPE = EVENT_DATA.byteOffset(PathElement.groupElement("eventType"));
    static final long EVENT_PAYLOAD = EVENT_DATA.byteOffset(PathElement.groupElement("eventData"));
    static final long EVENT_GPU_INSTANCE = EVENT_DATA.byteOffset(PathElement.groupElement("gpuInstanceId"));
    static final long EVENT_COMPUTE_INSTANCE = EVENT_DATA.byteOffset(PathElement.groupElement("computeInstanceId"));

    private static final FunctionDescriptor RC_VOID = FunctionDescriptor.of(JAVA_INT);
    private static final FunctionDescriptor RC_PTR = FunctionDescriptor.of(JAVA_INT, ADDRESS);
    private static final FunctionDescriptor RC_PTR_UINT = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT);
    private static final FunctionDescriptor RC_PTR_PTR = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS);
    private static final FunctionDescriptor RC_PTR_PTR_UINT =
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);

    /** Owns the loaded library: closing it unloads NVML, so it closes only after nvmlShutdown. */
    private final Arena arena;
    private final String name;
    private final MethodHandle init;
    private final MethodHandle shutdown;
    private final MethodHandle errorString;
    private final MethodHandle driverVersion;
    private final MethodHandle deviceCount;
    private final MethodHandle handleByIndex;
    private final MethodHandle uuid;
    private final MethodHandle deviceName;
    private final MethodHandle memoryInfo;
    private final MethodHandle temperature;
    private final MethodHandle eventSetCreate;
    private final MethodHandle registerEvents;
    private final MethodHandle eventSetWait;
    private final MethodHandle eventSetFree;
    // the telemetry's: optional, so that a driver without one still gives the agent its GPUs (null when absent)
    private final MethodHandle utilization;
    private final MethodHandle power;
    private final MethodHandle eccErrors;

    private NvmlLibrary(Arena arena, SymbolLookup lookup, String name) {
        this.arena = arena;
        this.name = name;
        Linker linker = Linker.nativeLinker();
        Binder bind = (symbol, descriptor) -> linker.downcallHandle(
                lookup.find(symbol).orElseThrow(() -> new NvmlException(
                        "NVML not available: " + name + " has no " + symbol + " (driver too old?)",
                        ERROR_FUNCTION_NOT_FOUND)),
                descriptor);
        init = bind.handle("nvmlInit_v2", RC_VOID);
        shutdown = bind.handle("nvmlShutdown", RC_VOID);
        errorString = bind.handle("nvmlErrorString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        driverVersion = bind.handle("nvmlSystemGetDriverVersion", RC_PTR_UINT);
        deviceCount = bind.handle("nvmlDeviceGetCount_v2", RC_PTR);
        handleByIndex = bind.handle("nvmlDeviceGetHandleByIndex_v2", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
        uuid = bind.handle("nvmlDeviceGetUUID", RC_PTR_PTR_UINT);
        deviceName = bind.handle("nvmlDeviceGetName", RC_PTR_PTR_UINT);
        memoryInfo = bind.handle("nvmlDeviceGetMemoryInfo", RC_PTR_PTR);
        temperature = bind.handle("nvmlDeviceGetTemperature", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
        eventSetCreate = bind.handle("nvmlEventSetCreate", RC_PTR);
        registerEvents = bind.handle("nvmlDeviceRegisterEvents", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, ADDRESS));
        eventSetWait = bind.handle("nvmlEventSetWait_v2", RC_PTR_PTR_UINT);
        eventSetFree = bind.handle("nvmlEventSetFree", RC_PTR);
        utilization = lookup.find("nvmlDeviceGetUtilizationRates").map(s -> linker.downcallHandle(s, RC_PTR_PTR)).orElse(null);
        power = lookup.find("nvmlDeviceGetPowerUsage").map(s -> linker.downcallHandle(s, RC_PTR_PTR)).orElse(null);
        eccErrors = lookup.find("nvmlDeviceGetTotalEccErrors").map(s -> linker.downcallHandle(s,
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS))).orElse(null);
    }

    /** nvmlUtilization_t: {unsigned int gpu, memory}, percent of the last sample period. */
    static final MemoryLayout UTILIZATION = MemoryLayout.structLayout(JAVA_INT.withName("gpu"), JAVA_INT.withName("memory"));

    /** nvmlDeviceGetUtilizationRates into {@code rates} ({@link #UTILIZATION}); ERROR_NOT_SUPPORTED without the symbol. */
    int utilization(MemorySegment device, MemorySegment rates) {
        if (utilization == null) return ERROR_NOT_SUPPORTED;
        try {
            return (int) utilization.invokeExact(device, rates);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** nvmlDeviceGetPowerUsage: milliwatts into an unsigned int. */
    int power(MemorySegment device, MemorySegment milliwatts) {
        if (power == null) return ERROR_NOT_SUPPORTED;
        try {
            return (int) power.invokeExact(device, milliwatts);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** nvmlDeviceGetTotalEccErrors for uncorrected errors (type 1) since the driver loaded (volatile counter, 0). */
    int uncorrectedEccErrors(MemorySegment device, MemorySegment count) {
        if (eccErrors == null) return ERROR_NOT_SUPPORTED;
        try {
            return (int) eccErrors.invokeExact(device, 1, 0, count);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    @FunctionalInterface
    private interface Binder {
        MethodHandle handle(String symbol, FunctionDescriptor descriptor);
    }

    /**
     * Loads NVML from {@code library}, or by name through the dynamic linker's search path when it is
     * null. Failing to load is an {@link NvmlException}, never a crash: a host without the driver is
     * an ordinary situation the caller must report.
     */
    static NvmlLibrary load(Path library) {
        String name = library == null ? DEFAULT_NAME : library.toString();
        Arena arena = Arena.ofShared();
        try {
            SymbolLookup lookup = library == null
                    ? SymbolLookup.libraryLookup(DEFAULT_NAME, arena)
                    : SymbolLookup.libraryLookup(library, arena);
            return new NvmlLibrary(arena, lookup, name);
        } catch (IllegalArgumentException e) {
            arena.close();
            boolean missing = library == null || !Files.exists(library);
            String why = missing
                    ? name + " not found" + (library == null ? " (is the NVIDIA driver installed?)" : "")
                    : name + " could not be loaded: " + e.getMessage();
            throw new NvmlException("NVML not available: " + why, ERROR_LIBRARY_NOT_FOUND, e);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** The path or name NVML was loaded from. */
    String name() {
        return name;
    }

    int init() {
        try {
            return (int) init.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    int shutdown() {
        try {
            return (int) shutdown.invokeExact();
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** NVML's text for a return code; NVML allows this call before init and after shutdown. */
    String errorString(int rc) {
        MemorySegment text;
        try {
            text = (MemorySegment) errorString.invokeExact(rc);
        } catch (Throwable t) {
            throw unexpected(t);
        }
        // The C string has no declared size; its NUL ends the read long before this bound.
        return text.equals(MemorySegment.NULL) ? "NVML error " + rc : text.reinterpret(4096).getString(0);
    }

    int driverVersion(MemorySegment buffer) {
        try {
            return (int) driverVersion.invokeExact(buffer, (int) buffer.byteSize());
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    int deviceCount(MemorySegment count) {
        try {
            return (int) deviceCount.invokeExact(count);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    int handleByIndex(int index, MemorySegment handle) {
        try {
            return (int) handleByIndex.invokeExact(index, handle);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    int deviceUuid(MemorySegment device, MemorySegment buffer) {
        try {
            return (int) uuid.invokeExact(device, buffer, (int) buffer.byteSize());
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    int deviceName(MemorySegment device, MemorySegment buffer) {
        try {
            return (int) deviceName.invokeExact(device, buffer, (int) buffer.byteSize());
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    int memoryInfo(MemorySegment device, MemorySegment memory) {
        try {
            return (int) memoryInfo.invokeExact(device, memory);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    int temperature(MemorySegment device, MemorySegment celsius) {
        try {
            return (int) temperature.invokeExact(device, TEMPERATURE_GPU, celsius);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    int eventSetCreate(MemorySegment set) {
        try {
            return (int) eventSetCreate.invokeExact(set);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    int registerEvents(MemorySegment device, long eventTypes, MemorySegment set) {
        try {
            return (int) registerEvents.invokeExact(device, eventTypes, set);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    int eventSetWait(MemorySegment set, MemorySegment data, int timeoutMs) {
        try {
            return (int) eventSetWait.invokeExact(set, data, timeoutMs);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    int eventSetFree(MemorySegment set) {
        try {
            return (int) eventSetFree.invokeExact(set);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    /** Unloads the library. Call only once nothing can call into it any more. */
    @Override
    public void close() {
        arena.close();
    }

    // A downcall throws only what the linker itself throws (no C++ exceptions cross it), so
    // anything checked here is a bug in the binding, not a runtime condition.
    private static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException e) {
            return e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("NVML downcall failed", t);
    }
}
