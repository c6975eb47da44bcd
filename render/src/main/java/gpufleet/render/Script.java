package gpufleet.render;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The script shared by the HTML report and the dashboard ({@code gpufleet.js} beside this class):
 * sortable tables and times in the viewer's time zone. The report inlines it; the dashboard serves
 * it. Pages read fine without it.
 */
public final class Script {

    private static final String JS = load();

    private Script() {}

    /** The script's source, to be placed in a {@code <script>} element or served as JavaScript. */
    public static String js() {
        return JS;
    }

    private static String load() {
        try (InputStream in = Script.class.getResourceAsStream("gpufleet.js")) {
            if (in == null) throw new IllegalStateException("gpufleet.js is missing beside " + Script.class.getName());
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
