package gpufleet.sim.trace;

import java.nio.file.Path;
import java.util.List;

/**
 * Reads one trace format. Readers are stateless and may be shared.
 *
 * <p>Guarantees: a bad row is counted and reported in {@link Trace#problems()}, never fatal and never
 * silently dropped. A file that is missing, or whose header is not this format's, is an
 * {@link IllegalArgumentException} naming the file (and the header found and expected); an I/O
 * failure while reading is an {@link java.io.UncheckedIOException}.
 */
public interface TraceReader {

    /** The format's name, as used by {@link TraceFormats#read(Path, String)}. */
    String format();

    /** Whether a file whose first line splits into these (trimmed) column names is of this format. */
    boolean acceptsHeader(List<String> columns);

    /** The header this format expects, for messages, e.g. {@code "timestamp,duration,num_gpus,gpu_time,cluster"}. */
    String expectedHeader();

    Trace read(Path path);
}
