package gpufleet.agent.gpu;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The fake libnvidia-ml.so.1 (src/test/c/fake_nvml.c), built with gcc once per test JVM.
 *
 * <p>The test holds the library open for the whole JVM, so the binding's own dlopen of the same
 * path gets the same instance, configured by {@link #configure} beforehand. Without gcc the tests
 * fail: passing without having run the binding would say nothing.
 */
@SuppressWarnings("restricted") // loading and calling the fake is the point
final class FakeNvml {

    private static Path library;
    private static MethodHandle configure;
    private static MethodHandle counter;

    private FakeNvml() {}

    /** The built library's absolute path. */
    static synchronized Path library() {
        if (library == null) {
            Path built = build();
            SymbolLookup lookup = SymbolLookup.libraryLookup(built, Arena.global());
            Linker linker = Linker.nativeLinker();
            configure = linker.downcallHandle(lookup.find("fake_nvml_configure").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS));
            counter = linker.downcallHandle(lookup.find("fake_nvml_counter").orElseThrow(),
                    FunctionDescriptor.of(JAVA_INT, ADDRESS));
            library = built;
        }
        return library;
    }

    /** Replaces the fake's configuration (see fake_nvml.c) and resets its counters. */
    static void configure(String spec) {
        library();
        if (call(configure, spec) != 0) {
            fail("fake NVML rejected its configuration: " + spec);
        }
    }

    /**
     * "init", "shutdown" (successful calls since configure), "event_sets" (created, not freed) or
     * "waits" (event waits that found nothing and slept).
     */
    static int counter(String name) {
        library();
        return call(counter, name);
    }

    /** Waits, up to 10 s, until some thread is asleep in nvmlEventSetWait with nothing to deliver. */
    static void awaitBlockedWait() throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (counter("waits") == 0) {
            if (System.nanoTime() > deadline) fail("no poll reached nvmlEventSetWait within 10 s");
            Thread.onSpinWait();
            Thread.yield();
        }
    }

    private static int call(MethodHandle function, String argument) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) function.invokeExact(arena.allocateFrom(argument));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static Path build() {
        Path source = Path.of("src/test/c/fake_nvml.c").toAbsolutePath();
        if (!Files.isRegularFile(source)) {
            fail("fake NVML source not found at " + source + " (run the tests from the agent module)");
        }
        Path out = Path.of("target", "fake-nvml", "libnvidia-ml.so.1").toAbsolutePath();
        try {
            Files.createDirectories(out.getParent());
            Process gcc = new ProcessBuilder("gcc", "-shared", "-fPIC", "-Wall", "-Wextra", "-pthread",
                    "-o", out.toString(), source.toString())
                    .redirectErrorStream(true)
                    .start();
            String output = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int status = gcc.waitFor();
            if (status != 0) {
                fail("gcc could not build the fake NVML (exit " + status + "):\n" + output);
            }
        } catch (IOException e) {
            fail("the NVML binding tests need gcc on the PATH to build a fake libnvidia-ml.so.1, and it could not be run: "
                    + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted while building the fake NVML");
        }
        return out;
    }
}
