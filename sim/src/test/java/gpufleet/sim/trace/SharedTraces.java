package gpufleet.sim.trace;

import java.nio.file.Files;
import java.nio.file.Path;

/** The real traces in {@code shared/traces}, a sibling of the clone (or of one of its parents). */
final class SharedTraces {
    private SharedTraces() {}

    static final Path DIR = find();

    static Path philly() {
        return DIR.resolve("philly/philly.csv");
    }

    static Path tiresias() {
        return DIR.resolve("philly/philly_oct2017_first2000.csv");
    }

    static Path alibaba() {
        return DIR.resolve("alibaba-openb/openb_pod_list_default.csv");
    }

    private static Path find() {
        Path start = Path.of("").toAbsolutePath();
        for (Path d = start; d != null; d = d.getParent()) {
            Path candidate = d.resolve("shared").resolve("traces");
            if (Files.isDirectory(candidate)) return candidate;
        }
        throw new IllegalStateException("no shared/traces directory beside " + start + " or any parent of it;"
                + " the trace tests need the real traces checked out as ../shared/traces");
    }
}
