package gpufleet.server;

import gpufleet.server.store.SqlStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The Grafana dashboard shipped in docs/grafana: every metric its panels query is one the controller exposes. */
class GrafanaDashboardTest {
    private static final Pattern METRIC = Pattern.compile("gpufleet_[a-z_]+");

    @Test
    void everyPanelQueriesMetricsTheControllerExposes(@TempDir Path dir) throws Exception {
        Path file = Path.of(System.getProperty("basedir", "."), "..", "docs", "grafana", "gpufleet.json");
        JsonNode d = Client.JSON.readTree(Files.readString(file));
        assertThat(d.get("panels").size()).isGreaterThanOrEqualTo(8);
        Set<String> queried = new TreeSet<>();
        for (JsonNode p : d.get("panels"))
            for (JsonNode t : p.get("targets")) {
                Matcher m = METRIC.matcher(t.get("expr").stringValue());
                while (m.find()) queried.add(m.group().replaceAll("_(bucket|count|sum)$", ""));
            }
        GpufleetServer server = GpufleetServer.start(SqlStore.sqlite(dir), dir, "127.0.0.1", 0, Duration.ofMillis(50), Duration.ofHours(1));
        try {
            String admin = Client.readAdminToken(dir);
            String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/metrics"))
                    .header("Authorization", "Bearer " + admin).build(), HttpResponse.BodyHandlers.ofString()).body();
            Set<String> exposed = new TreeSet<>();
            Matcher m = Pattern.compile("(?m)^# TYPE (gpufleet_[a-z_]+)").matcher(body);
            while (m.find()) exposed.add(m.group(1));
            assertThat(exposed).containsAll(queried);
            assertThat(queried).contains("gpufleet_gpus", "gpufleet_queue_jobs", "gpufleet_team_gpus", "gpufleet_job_ettr_ratio");
        } finally {
            server.close();
        }
    }
}
