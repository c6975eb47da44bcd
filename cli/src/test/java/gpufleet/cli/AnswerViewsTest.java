package gpufleet.cli;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The commands read the controller's answers into the protocol's views: a newer controller's added
 * fields are passed over, a field an older one lacks shows as "-", and an answer of another shape is one
 * line naming the field, never a stack trace. The controller here is a stub that answers canned JSON.
 */
class AnswerViewsTest {
    HttpServer stub;
    final Map<String, String> answers = new ConcurrentHashMap<>();

    @BeforeEach
    void start() throws IOException {
        stub = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        stub.createContext("/", ex -> {
            String body = answers.get(ex.getRequestURI().toString());
            byte[] bytes = (body == null ? "{\"error\":{\"code\":\"not_found\",\"message\":\"no such thing\",\"field\":null}}" : body)
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(body == null ? 404 : 200, bytes.length);
            ex.getResponseBody().write(bytes);
            ex.close();
        });
        stub.start();
    }

    @AfterEach
    void stop() {
        stub.stop(0);
    }

    CliTest.Run cli(String... args) {
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        System.arraycopy(new String[]{"--server", "http://127.0.0.1:" + stub.getAddress().getPort(), "--token", "t"}, 0, all,
                args.length, 4);
        return CliTest.run(all);
    }

    @Test
    void aNewerControllersAddedFieldsArePassedOverAndPrintedAsTheyCameWithJson() {
        answers.put("/api/v1/teams", "[{\"name\":\"vision\",\"quotaGpus\":16,\"priorityBoost\":2},{\"name\":\"open\",\"quotaGpus\":null}]");
        var r = cli("team", "list");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(ControllerCommandsTest.rows(r.out())).containsExactly(
                new String[]{"TEAM", "QUOTA"}, new String[]{"vision", "16"}, new String[]{"open", "unlimited"});
        var json = cli("team", "list", "-o", "json");
        assertThat(json.out().strip()).isEqualTo(answers.get("/api/v1/teams"));
    }

    @Test
    void aFieldAnOlderControllerLacksShowsAsADash() {
        answers.put("/api/v1/hosts", "[{\"id\":1,\"name\":\"h1\",\"gpus\":8,\"status\":\"UP\",\"unhealthyGpus\":[3]}]");
        answers.put("/api/v1/jobs?state=RUNNING", "[{\"id\":7,\"state\":\"RUNNING\",\"placement\":[{\"host\":\"h1\",\"gpus\":[0,1]}]}]");
        var r = cli("nodes");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(ControllerCommandsTest.row(r.out(), "h1")).containsExactly("h1", "-", "-", "UP", "8", "5", "2", "1", "-", "-");
    }

    @Test
    void anAnswerOfAnotherShapeIsOneLineNamingTheField() {
        answers.put("/api/v1/jobs/3", "{\"id\":3,\"name\":\"x\",\"state\":\"RUNNING\",\"placement\":[{\"host\":\"h1\",\"gpus\":\"all\"}]}");
        var r = cli("job", "3");
        ControllerCommandsTest.assertOneLineError(r, "does not read as a JobView", "placement[0].gpus");
        answers.put("/api/v1/teams", "{\"name\":\"vision\"}");
        ControllerCommandsTest.assertOneLineError(cli("team", "list"), "is not a list of TeamView");
    }
}
