package gpufleet.server;

import gpufleet.server.store.SqlStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code GET /metrics} after a known history: two jobs placed on two hosts, a GPU error on one host
 * that restarts its job, with nowhere to go. (The test with a real Prometheus and promtool is in the
 * cli module, beside the agents.)
 */
class MetricsApiTest {
    private static final Pattern SAMPLE = Pattern.compile("^([a-z_]+)(\\{[^}]*})? (\\S+)$");

    @TempDir
    Path dir;
    GpufleetServer server;
    Client api;

    @BeforeEach
    void start() {
        server = GpufleetServer.start(SqlStore.sqlite(dir), dir, "127.0.0.1", 0, Duration.ofMillis(50), Duration.ofHours(1));
        api = new Client(server.port(), dir);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private String scrape() throws Exception {
        // as Prometheus scrapes it: with a viewer's token
        String viewer = api.ok(api.post("/tokens", "{\"name\":\"prometheus\",\"role\":\"viewer\"}")).get("token").stringValue();
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + server.port() + "/metrics")).header("Authorization", "Bearer " + viewer).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type").orElse("")).startsWith("text/plain; version=0.0.4");
        return r.body();
    }

    /** Samples by name and labels as written ({@code name{a="b"}}). */
    static Map<String, Double> samples(String text) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("#") || line.isEmpty()) continue;
            Matcher m = SAMPLE.matcher(line);
            assertThat(m.matches()).as("a sample line: %s", line).isTrue();
            out.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(3).replace("+Inf", "Infinity")));
        }
        return out;
    }

    @Test
    void countsWhatHappened() throws Exception {
        Map<String, JsonNode> hosts = new HashMap<>();
        for (String h : new String[] {"a", "b"})
            hosts.put(h, api.ok(api.post("/hosts/register", "{\"name\":\"%s\",\"gpus\":8,\"rack\":\"r1\",\"zone\":\"z1\"}".formatted(h))));
        long first = api.submit("llama", 8, 8);
        long second = api.submit("vit", 8, 8);
        JsonNode running = api.awaitState(first, "RUNNING");
        api.awaitState(second, "RUNNING");
        JsonNode host = hosts.get(running.get("placement").get(0).get("host").stringValue());
        api.ok(api.post("/hosts/" + host.get("id").longValue() + "/heartbeat", ("{\"generation\":%d,\"tasks\":[],"
                + "\"gpus\":[{\"index\":5,\"healthy\":false,\"xid\":79}]}").formatted(host.get("generation").longValue())));
        api.awaitState(first, "RESTARTING");

        Map<String, Double> m = samples(scrape());
        assertThat(m).containsEntry("gpufleet_jobs_submitted_total", 2.0)
                .containsEntry("gpufleet_placements_total", 2.0)
                .containsEntry("gpufleet_restarts_total", 1.0)
                .containsEntry("gpufleet_preemptions_total", 0.0)
                .containsEntry("gpufleet_interruptions_total{cause=\"gpu_failed\"}", 1.0)
                .containsEntry("gpufleet_interruptions_total{cause=\"host_lost\"}", 0.0)
                .containsEntry("gpufleet_jobs{state=\"running\"}", 1.0)
                .containsEntry("gpufleet_jobs{state=\"restarting\"}", 1.0)
                .containsEntry("gpufleet_queue_jobs", 1.0)
                .containsEntry("gpufleet_queue_gpus", 8.0)
                .containsEntry("gpufleet_hosts{state=\"unhealthy\"}", 1.0)
                .containsEntry("gpufleet_hosts{state=\"busy\"}", 1.0)
                .containsEntry("gpufleet_gpus{state=\"busy\"}", 8.0)
                // the failed GPU and the 7 idle others of its host, out of service with it (HostState.ofGpu)
                .containsEntry("gpufleet_gpus{state=\"unhealthy\"}", 8.0)
                .containsEntry("gpufleet_gpus{state=\"draining\"}", 0.0)
                .containsEntry("gpufleet_team_gpus{team=\"default\"}", 8.0)
                .containsEntry("gpufleet_queue_wait_seconds_count", 2.0)
                .containsEntry("gpufleet_gpu_hour_price_dollars", 4.916);
        assertThat(m.get("gpufleet_scheduling_cycle_duration_seconds_count")).isGreaterThanOrEqualTo(1);
        assertThat(m.get("gpufleet_team_gpu_seconds_total{team=\"default\"}")).isPositive();
        assertThat(m.keySet()).filteredOn(k -> k.startsWith("gpufleet_job_ettr_ratio")).singleElement().asString()
                .contains("job_id=\"" + second + "\"", "job_name=\"vit\"", "team=\"default\"");
        assertThat(m.get("gpufleet_queue_wait_seconds_bucket{le=\"+Inf\"}")).isEqualTo(2.0);
    }

    @Test
    void everyFamilyFollowsPrometheusNaming() throws Exception {
        api.ok(api.post("/hosts/register", "{\"name\":\"a\",\"gpus\":8}"));
        String text = scrape();
        Map<String, String> types = new HashMap<>();
        Set<String> helped = new HashSet<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] p = line.split(" ");
                types.put(p[2], p[3]);
            } else if (line.startsWith("# HELP ")) {
                helped.add(line.split(" ")[2]);
                assertThat(line.split(" ", 4)[3]).as("help of %s", line).isNotBlank();
            }
        }
        assertThat(helped).isEqualTo(types.keySet());
        types.forEach((name, type) -> {
            assertThat(name).startsWith("gpufleet_").matches("[a-z_]+");
            if (type.equals("counter")) assertThat(name).endsWith("_total");
            else assertThat(name).doesNotEndWith("_total");
        });
        for (String name : samples(text).keySet()) {
            String metric = name.replaceAll("\\{.*", "");
            String family = types.containsKey(metric) ? metric : metric.replaceAll("_(bucket|sum|count)$", "");
            assertThat(types).as("family of %s", name).containsKey(family);
            if (!family.equals(metric)) assertThat(types.get(family)).as(name).isEqualTo("histogram");
        }
        assertThat(types).containsKeys("gpufleet_gpus", "gpufleet_hosts", "gpufleet_jobs", "gpufleet_queue_jobs",
                "gpufleet_queue_wait_seconds", "gpufleet_scheduling_cycle_duration_seconds", "gpufleet_placements_total",
                "gpufleet_preemptions_total", "gpufleet_interruptions_total", "gpufleet_restarts_total",
                "gpufleet_job_ettr_ratio", "gpufleet_team_gpus", "gpufleet_team_gpu_seconds_total");
    }
}
