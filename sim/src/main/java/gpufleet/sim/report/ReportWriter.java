package gpufleet.sim.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import tools.jackson.core.JsonGenerator;
import tools.jackson.core.util.DefaultIndenter;
import tools.jackson.core.util.DefaultPrettyPrinter;
import tools.jackson.core.util.Separators;
import tools.jackson.databind.MapperFeature;
import tools.jackson.databind.SerializationContext;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.module.SimpleModule;
import tools.jackson.databind.ser.std.StdSerializer;

/**
 * Writes a {@link SimReport} as {@code report.json} and {@code report.html}.
 *
 * <p>The JSON is meant to be diffed between runs, so it is byte-for-byte a function of the report:
 * fields in record-component order (Jackson 3 sorts properties alphabetically by default, which is
 * turned off here), map entries sorted by key, two-space indentation with {@code \n} line ends on
 * every platform, and doubles in Java's shortest round-trip form. NaN and the infinities are not JSON,
 * so they are written as {@code null}.
 */
public final class ReportWriter {

    public static final String JSON_FILE = "report.json";
    public static final String HTML_FILE = "report.html";

    private static final JsonMapper MAPPER = buildMapper();

    private ReportWriter() {}

    /** Writes {@code report.json} and {@code report.html} into {@code outDir}, creating it if needed. */
    public static void write(SimReport r, Path outDir) throws IOException {
        write(r, outDir, HtmlReport.Kind.TWIN);
    }

    /** The same, with the page drawn for {@code kind} of run. */
    public static void write(SimReport r, Path outDir, HtmlReport.Kind kind) throws IOException {
        Files.createDirectories(outDir);
        Files.writeString(outDir.resolve(JSON_FILE), toJson(r), StandardCharsets.UTF_8);
        Files.writeString(outDir.resolve(HTML_FILE), HtmlReport.render(r, kind), StandardCharsets.UTF_8);
    }

    /** The report as pretty-printed JSON ending in a newline; equal reports give equal strings. */
    public static String toJson(SimReport r) {
        return MAPPER.writeValueAsString(r) + "\n";
    }

    /** The mapper behind {@link #toJson}: immutable, thread-safe, also able to read a report back. */
    public static JsonMapper mapper() {
        return MAPPER;
    }

    private static JsonMapper buildMapper() {
        DefaultIndenter indenter = new DefaultIndenter("  ", "\n");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                        .withObjectNameValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(indenter)
                .withArrayIndenter(indenter);
        SimpleModule finiteDoubles = new SimpleModule("finite-doubles")
                .addSerializer(Double.class, new FiniteDoubleSerializer())
                .addSerializer(Double.TYPE, new FiniteDoubleSerializer());
        return JsonMapper.builder()
                .disable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
                .enable(SerializationFeature.INDENT_OUTPUT)
                .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
                .defaultPrettyPrinter(printer)
                .addModule(finiteDoubles)
                .build();
    }

    /** Writes finite doubles as numbers and NaN / infinities as null. */
    private static final class FiniteDoubleSerializer extends StdSerializer<Double> {
        FiniteDoubleSerializer() {
            super(Double.class);
        }

        @Override
        public void serialize(Double value, JsonGenerator gen, SerializationContext ctxt) {
            if (Double.isFinite(value)) gen.writeNumber(value.doubleValue());
            else gen.writeNull();
        }
    }
}
