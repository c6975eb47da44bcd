package gpufleet.agent;

import gpufleet.agent.gpu.SimulatedGpus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/** The agent acts on the error code of a refusal, never on its message text. */
class AgentRefusalTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path work;

    private AgentConfig config(FakeController controller, String joinToken) {
        return new AgentConfig(controller.url(), "h1", "r1", "z1", null, work, Duration.ofMillis(200), Duration.ofMillis(500),
                joinToken, null, null);
    }

    private Agent agent(FakeController controller, String joinToken) {
        return new Agent(config(controller, joinToken), new SimulatedGpus(2, SimulatedGpus.DEFAULT_MODEL, null, "h1"));
    }

    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) fail("not within " + WAIT + ": " + what);
            Thread.sleep(20);
        }
    }

    @Test
    void onlyAStaleGenerationCodeMakesTheAgentGiveWayWhateverTheMessageSays() throws Exception {
        try (FakeController controller = new FakeController()) {
            Agent agent = agent(controller, null).start();
            try {
                // a conflict of another kind, worded as a stale generation: the agent keeps its host
                var other = new FakeController.Refusal(409, "conflict", "generation 1 is stale");
                controller.refuse("/heartbeat", other);
                controller.refuse("/assignments", other);
                await(() -> controller.refused() >= 4, "four refusals");
                assertThat(agent.fatal()).isNull();
                controller.refuse("/heartbeat", null);
                controller.refuse("/assignments", null);
                int before = controller.heartbeats().size();
                await(() -> controller.heartbeats().size() > before, "a heartbeat after the conflict");
                assertThat(agent.fatal()).isNull();

                // the code, in whatever words: another agent has the host
                controller.refuse("/heartbeat", new FakeController.Refusal(409, "stale_generation", "superseded"));
                await(() -> agent.fatal() != null, "the agent to stop");
                assertThat(agent.fatal()).isEqualTo("another agent registered as h1; this one stops");
            } finally {
                agent.close();
            }
        }
    }

    @Test
    void aJoinRefusedAsAlreadyJoinedSaysTheCredentialIsMissing() throws Exception {
        try (FakeController controller = new FakeController()) {
            controller.refuse("/hosts/register", new FakeController.Refusal(409, "already_joined", "h1 is in the fleet"));
            assertThatThrownBy(() -> agent(controller, "gft_join").start()).isInstanceOf(IllegalStateException.class)
                    .hasMessage("controller answered 409: h1 is in the fleet; this agent has no credential in "
                            + work.resolve("credential"));
            // the words alone do not make it that refusal
            controller.refuse("/hosts/register", new FakeController.Refusal(409, "host_busy", "host h1 has joined already"));
            assertThatThrownBy(() -> agent(controller, "gft_join").start()).isInstanceOf(IllegalStateException.class)
                    .hasMessage("the controller refused this host: controller answered 409: host h1 has joined already");
        }
    }

    @Test
    void aRateLimitedRegistrationIsRetriedUntilItIsAnswered() throws Exception {
        try (FakeController controller = new FakeController()) {
            controller.refuse("/hosts/register", new FakeController.Refusal(429, "rate_limited", "slow down"));
            Agent agent = agent(controller, null);
            AtomicReference<Throwable> failed = new AtomicReference<>();
            Thread starting = Thread.ofVirtual().start(() -> {
                try {
                    agent.start();
                } catch (Throwable t) {
                    failed.set(t);
                }
            });
            try {
                await(() -> controller.refused() >= 2, "two refused registrations");
                assertThat(starting.isAlive()).as("still trying").isTrue();
                controller.refuse("/hosts/register", null);
                starting.join(WAIT);
                assertThat(starting.isAlive()).isFalse();
                assertThat(failed.get()).isNull();
                assertThat(agent.hostId()).isEqualTo(1);
            } finally {
                agent.close();
            }
        }
    }
}
