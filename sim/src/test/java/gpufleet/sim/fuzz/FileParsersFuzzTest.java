package gpufleet.sim.fuzz;

import gpufleet.sim.preset.FailureFiles;
import gpufleet.sim.preset.FleetFiles;
import gpufleet.sim.preset.ModelFiles;
import gpufleet.sim.preset.WorkloadFiles;
import gpufleet.sim.trace.TraceFormats;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.dataformat.yaml.YAMLMapper;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every file parser (fleet, workload, failure model and model files in YAML and JSON; the four trace formats and
 * their detection) fed inputs mutated from valid files ({@link TextFuzz}). For every input the
 * parser either returns a result or refuses with an {@link IllegalArgumentException} whose message
 * names the file: no other exception (nothing a user would see as a stack trace), no error, and an
 * answer within {@value #TIMEOUT_SECONDS} seconds (no hang).
 *
 * <p>Inputs per parser: {@code -Dgpufleet.fuzz.inputs=N} (default 600); seed:
 * {@code -Dgpufleet.fuzz.seed}. The totals are printed.
 */
class FileParsersFuzzTest {
    static final int INPUTS = Integer.getInteger("gpufleet.fuzz.inputs", 600);
    static final long SEED = Long.getLong("gpufleet.fuzz.seed", 20261130L);
    static final int TIMEOUT_SECONDS = 10;
    private static final Map<String, int[]> TALLY = new TreeMap<>();
    private static final ExecutorService RUNNER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(null, r, "fuzz-parser", 64L << 20);
        t.setDaemon(true);
        return t;
    });

    @TempDir
    Path dir;

    @AfterAll
    static void report() {
        int total = TALLY.values().stream().mapToInt(t -> t[0]).sum();
        StringBuilder sb = new StringBuilder("file parser fuzzing: " + total + " inputs");
        TALLY.forEach((k, t) -> sb.append("\n  ").append(k).append(": ").append(t[0]).append(" inputs, ").append(t[1])
                .append(" parsed, ").append(t[0] - t[1]).append(" refused"));
        System.out.println(sb);
        RUNNER.shutdownNow();
    }

    /**
     * Runs {@code parse} on every mutation of every seed; {@code name} files the counts, and every refusal
     * must name {@code file}, the name the parser was given.
     */
    private void fuzz(String name, String file, List<String> seeds, long seed, Function<byte[], Object> parse) {
        int[] count = TALLY.computeIfAbsent(name, k -> new int[2]);
        TextFuzz fuzz = new TextFuzz(SEED ^ seed);
        for (int i = 0; i < INPUTS; i++) {
            byte[] input = fuzz.mutate(seeds.get(i % seeds.size()));
            count[0]++;
            Future<Object> f = RUNNER.submit(() -> parse.apply(input));
            try {
                f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
                count[1]++;
            } catch (TimeoutException e) {
                f.cancel(true);
                throw new AssertionError(name + ": no answer within " + TIMEOUT_SECONDS + " s for " + show(input));
            } catch (ExecutionException e) {
                Throwable t = e.getCause();
                if (!(t instanceof IllegalArgumentException) || t.getMessage() == null || t.getMessage().isBlank())
                    throw new AssertionError(name + ": " + t + " for " + show(input), t);
                assertThat(t.getMessage()).as(name + " for " + show(input)).doesNotContain("Exception").doesNotContain("\tat ")
                        .contains(file);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    private static String show(byte[] input) {
        String s = new String(input, StandardCharsets.UTF_8);
        return "input of " + input.length + " bytes: " + (s.length() > 400 ? s.substring(0, 400) + "..." : s);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** The same documents as JSON: the parsers read both, with different parsers underneath. */
    private static List<String> asJson(List<String> yaml) {
        YAMLMapper y = YAMLMapper.builder().build();
        JsonMapper j = JsonMapper.builder().build();
        List<String> out = new ArrayList<>();
        for (String s : yaml) out.add(j.writerWithDefaultPrettyPrinter().writeValueAsString(y.readTree(s)));
        return out;
    }

    @Test
    void fleetFiles() {
        List<String> yaml = FleetFiles.PRESETS.stream().map(FleetFiles::presetText).toList();
        fuzz("fleet files (yaml)", "fuzz.yaml", yaml, 1, b -> FleetFiles.parse(text(b), "fuzz.yaml"));
        fuzz("fleet files (json)", "fuzz.json", asJson(yaml), 2, b -> FleetFiles.parse(text(b), "fuzz.json"));
    }

    @Test
    void workloadFiles() {
        List<String> yaml = WorkloadFiles.PRESETS.stream().map(WorkloadFiles::presetText).toList();
        fuzz("workload files (yaml)", "fuzz.yaml", yaml, 3, b -> WorkloadFiles.parse(text(b), "fuzz.yaml"));
        fuzz("workload files (json)", "fuzz.json", asJson(yaml), 4, b -> WorkloadFiles.parse(text(b), "fuzz.json"));
    }

    @Test
    void failureFiles() {
        List<String> yaml = new ArrayList<>(FailureFiles.PRESETS.stream().map(FailureFiles::presetText).toList());
        // a file with every optional block, so that mutations reach lemons, start risk and gpuTypes
        yaml.add("""
                exposure: {days: 10, gpus: 800, hosts: 100}
                causes:
                  - {name: gpu, scope: gpu, count: 40, repair: 72h, gpuTypes: {A100-SXM-80GB: 0.5}}
                  - {name: sw, scope: job, rate: 0.0001}
                lemons: {share: 0.02, factor: 10}
                jobStart: {perHost: 0.001, within: 10m}
                """);
        fuzz("failure files (yaml)", "fuzz.yaml", yaml, 21, b -> FailureFiles.parse(text(b), "fuzz.yaml"));
        fuzz("failure files (json)", "fuzz.json", asJson(yaml), 22, b -> FailureFiles.parse(text(b), "fuzz.json"));
    }

    @Test
    void modelFiles() {
        List<String> yaml = List.of("""
                name: my-model
                layers: 32
                hidden: 4096
                ffn: 14336
                heads: 32
                kvHeads: 8
                vocab: 128256
                seqLen: 8192
                gatedMlp: true
                tiedEmbeddings: false
                dropout: false
                source: written for the fuzzer
                """);
        fuzz("model files (yaml)", "fuzz.yaml", yaml, 5, b -> ModelFiles.parse(text(b), "fuzz.yaml"));
        fuzz("model files (json)", "fuzz.json", asJson(yaml), 6, b -> ModelFiles.parse(text(b), "fuzz.json"));
    }

    @Test
    void traceFiles() {
        Map<String, String> seeds = Map.of(
                "philly", """
                        timestamp,duration,num_gpus,gpu_time,cluster
                        2017-10-09 07:00:00,10.0,2,20.0,a
                        2017-10-09 07:01:55,66.0,1,66.0,b
                        2017-10-09 07:00:30,5,8,40,c
                        """,
                "tiresias", """
                        job_id,num_gpu,submit_time,iterations,model_name,duration,interval
                        0,1,0,30,resnet50,30,0
                        1,4,10,300,vgg16,600,10
                        2,8,20,3000,bert,3600,10
                        """,
                "alibaba-openb", """
                        name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
                        pod-a,12000,16384,1,1000,,LS,Running,0,1000,10
                        pod-b,6000,12288,1,460,,BE,Running,50,500,100
                        pod-c,4000,8192,0,0,,LS,Running,60,900,60
                        pod-d,4000,8192,8,1000,V100,,Pending,70,170,
                        """,
                "gpufleet", """
                        id,submit_time,duration,gpus,group,name
                        3,100.5,60,8,team-a,train
                        1,100,30.25,1,,eval
                        2,100,1,2,team-b,
                        """);
        long n = 7;
        for (var e : new TreeMap<>(seeds).entrySet()) {
            String format = e.getKey();
            Path file = dir.resolve(format + ".csv");
            Function<byte[], Object> read = b -> {
                try {
                    Files.write(file, b);
                } catch (java.io.IOException io) {
                    throw new java.io.UncheckedIOException(io);
                }
                // half through the named format, half through detection by header
                return TraceFormats.read(file, (b.length & 1) == 0 ? format : TraceFormats.AUTO);
            };
            fuzz("traces (" + format + ")", file.getFileName().toString(), List.of(e.getValue()), n++, read);
        }
    }
}
