package gpufleet.agent;

import com.sun.net.httpserver.HttpServer;
import gpufleet.protocol.Registration;
import gpufleet.protocol.RegistrationReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An agent given several controllers: one that cannot be reached gives way to the next, a standby's
 * redirect is followed to the leader it names, and later calls go straight to the one that answered.
 */
class ControllerListTest {
    private final List<HttpServer> servers = new java.util.ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    /** A controller that answers every request with {@code status}, {@code headers} and {@code body}, counting them. */
    private URI serve(int status, String body, AtomicInteger calls, String... headers) throws IOException {
        HttpServer h = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        h.createContext("/", ex -> {
            calls.incrementAndGet();
            ex.getRequestBody().readAllBytes();
            for (int i = 0; i + 1 < headers.length; i += 2) ex.getResponseHeaders().add(headers[i], headers[i + 1]);
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(status, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        h.start();
        servers.add(h);
        return URI.create("http://127.0.0.1:" + h.getAddress().getPort());
    }

    private static URI nowhere() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return URI.create("http://127.0.0.1:" + s.getLocalPort());
        }
    }

    private static final Registration REG = new Registration("node-1", 8, "r1", "z1", null, List.of(), "i1");

    @Test
    void aDeadControllerGivesWayAndAStandbysRedirectIsFollowed() throws Exception {
        AtomicInteger leaderCalls = new AtomicInteger(), standbyCalls = new AtomicInteger();
        URI leader = serve(200, "{\"id\":7,\"generation\":3,\"status\":\"UP\"}", leaderCalls);
        URI standby = serve(307, "{\"error\":{\"code\":\"unavailable\",\"message\":\"this controller is a standby\",\"field\":null}}",
                standbyCalls, "Location", leader + "/api/v1/hosts/register", "X-Gpufleet-Leader", leader.toString());
        ControllerClient c = new ControllerClient(List.of(nowhere(), standby), null);

        RegistrationReply r = c.register(REG);
        assertThat(r.id()).isEqualTo(7);
        assertThat(r.generation()).isEqualTo(3);
        assertThat(standbyCalls.get()).isEqualTo(1);
        assertThat(c.server()).isEqualTo(URI.create(leader + "/"));

        // the next call goes to the leader at once
        c.register(REG);
        assertThat(standbyCalls.get()).isEqualTo(1);
        assertThat(leaderCalls.get()).isEqualTo(2);
    }

    @Test
    void noneReachableIsNoAnswerAndARedirectLoopEndsAsARefusal() throws Exception {
        ControllerClient dead = new ControllerClient(List.of(nowhere(), nowhere()), null);
        assertThatThrownBy(() -> dead.register(REG)).isInstanceOfSatisfying(ControllerClient.Failure.class,
                f -> assertThat(f.status()).isZero());

        // two standbys that each name the other (an election under way): answered, not looped on
        AtomicInteger calls = new AtomicInteger();
        URI a = serve(503, "{\"error\":{\"code\":\"unavailable\",\"message\":\"this controller is a standby and no controller leads\",\"field\":null}}",
                calls, "Retry-After", "1");
        URI b = serve(503, "{\"error\":{\"code\":\"unavailable\",\"message\":\"this controller is a standby and no controller leads\",\"field\":null}}",
                calls, "Retry-After", "1");
        ControllerClient c = new ControllerClient(List.of(a, b), null);
        assertThatThrownBy(() -> c.register(REG)).isInstanceOfSatisfying(ControllerClient.Failure.class, f -> {
            assertThat(f.status()).isEqualTo(503);
            assertThat(f.code()).isEqualTo(gpufleet.protocol.ErrorCode.UNAVAILABLE);
        });
        assertThat(calls.get()).isEqualTo(2);
    }
}
