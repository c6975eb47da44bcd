package gpufleet.cli;

import gpufleet.agent.Agent;
import gpufleet.agent.AgentConfig;
import gpufleet.agent.RunAs;
import gpufleet.agent.gpu.GpuBackend;
import gpufleet.agent.gpu.GpuBackends;
import gpufleet.agent.gpu.GpuUnavailableException;
import gpufleet.agent.gpu.SimulatedGpus;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.PolicyRegistry;
import gpufleet.server.GpufleetServer;
import gpufleet.server.ServerMain;
import gpufleet.server.Security;
import gpufleet.server.auth.Role;
import gpufleet.server.auth.Tokens;
import gpufleet.server.control.ControllerOptions;
import gpufleet.server.store.SqlStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code gpufleet up}: a controller and an agent in one process, so a newcomer sees a job run on one
 * machine within a minute. The machine's GPUs through NVML when it has them, simulated ones otherwise.
 *
 * <p>Authentication stays on: the controller writes its admin token to {@code <data-dir>/admin-token}
 * (mode 0600) on first start, where the commands find it when run from the same directory, and the
 * agent joins with a join token made for it. Only TLS is left off, and the controller listens on
 * loopback only, so nothing crosses a network.
 */
@Command(name = "up", description = {"Start a controller and an agent on this machine (simulated GPUs where it has none).",
        "Then submit from another terminal: gpufleet submit --name hello --gpus 8 -- sh -c 'echo rank $RANK'"})
final class UpCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "8080", description = "controller port (default ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--data-dir", defaultValue = "gpufleet-data", description = "controller database, logs, admin token and the agent's work dir (default ${DEFAULT-VALUE})")
    Path dataDir;

    @Option(names = "--simulate-gpus", description = "simulate this many GPUs even if the machine has real ones (default: real GPUs if NVML finds any, else 8 simulated)")
    Integer simulate;

    @Option(names = "--name", defaultValue = "local", description = "the agent's host name (default ${DEFAULT-VALUE})")
    String name;

    @Option(names = "--run-as", paramLabel = "USER", description = "the user jobs run as (default: yours; as root, nobody)")
    String runAs;

    @Option(names = "--policy", paramLabel = "NAME", defaultValue = "gpufleet",
            description = "the scheduling policy, one of those `gpufleet policies` lists (default ${DEFAULT-VALUE})")
    String policyName;

    @Override
    public Integer call() throws IOException, InterruptedException {
        Policy policy = PolicyRegistry.get(policyName);
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in [0, 65535], got " + port);
        if (simulate != null && (simulate < 1 || simulate > 64))
            throw new IllegalArgumentException("--simulate-gpus must be in [1, 64], got " + simulate);
        // as root, jobs run as nobody unless told otherwise: a quick start must not hand root to every job
        RunAs jobsAs = runAs != null ? RunAs.parse(runAs) : RunAs.currentUid() == 0 ? RunAs.parse("nobody") : null;
        if (jobsAs != null && jobsAs.switches(RunAs.currentUid()) && RunAs.currentUid() != 0)
            throw new IllegalArgumentException("--run-as " + runAs + ": only root can run jobs as another user");
        Path agentDir = dataDir.resolve("agent").toAbsolutePath();
        GpuBackend gpus = gpus(agentDir.resolve("inject"));
        // one machine: its own disk is storage every host (there is one) reads, so checkpoints survive restarts
        GpufleetServer server = GpufleetServer.start(SqlStore.sqlite(dataDir), dataDir, "127.0.0.1", port,
                Duration.ofSeconds(1), ControllerOptions.DEFAULTS.withCheckpointRoot(
                        dataDir.resolve("checkpoints").toAbsolutePath().toString()).withPolicy(policy),
                gpufleet.server.view.Usage.DEFAULT_GPU_HOUR_USD, Security.defaults());
        String url = "http://127.0.0.1:" + server.port();
        String join = server.tokens().create("gpufleet up: agent " + name, Role.JOIN, null, null, 600L,
                "gpufleet up").token();
        Agent agent = new Agent(new AgentConfig(URI.create(url), name, "rack0", "zone0", "127.0.0.1", agentDir,
                Duration.ofSeconds(2), AgentConfig.DEFAULT_KILL_GRACE, join, null, jobsAs), gpus);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            server.close();
            stopped.countDown();
        }, "gpufleet-up-shutdown"));
        agent.start();
        Path adminToken = dataDir.resolve(Tokens.ADMIN_TOKEN_FILE).toAbsolutePath();
        boolean here = dataDir.normalize().equals(Credentials.LOCAL_ADMIN_TOKEN.getParent());
        System.out.printf("""
                gpufleet is up: controller %s/api/v1, agent %s with %d GPUs (%s)
                dashboard: %s/ (sign in with the admin token)
                %s
                data in %s; stop with Ctrl-C
                authentication on: the admin token is in %s (readable by you only)%s
                TLS off: plain HTTP on 127.0.0.1 only%s
                From another terminal, in this directory:
                  ./gpufleet submit --name hello --gpus %d -- sh -c 'echo rank $RANK of $WORLD_SIZE on GPUs $CUDA_VISIBLE_DEVICES'
                  ./gpufleet queue
                  ./gpufleet logs 1 --rank 0
                """, url, name, gpus.gpus().size(), gpus.describe(), url, ServerMain.policyLine(policy),
                dataDir.toAbsolutePath(), adminToken,
                here ? "; commands run from this directory use it" : "; commands elsewhere need GPUFLEET_TOKEN=$(cat " + adminToken + ")",
                jobsAs != null && jobsAs.switches(RunAs.currentUid()) ? "; jobs run as " + jobsAs.describe() : "",
                gpus.gpus().size());
        if (server.port() != 8080) System.out.println("(set GPUFLEET_SERVER=" + url + " for the commands above)");
        stopped.await();
        return 0;
    }

    private GpuBackend gpus(Path injectDir) {
        if (simulate != null) return new SimulatedGpus(simulate, SimulatedGpus.DEFAULT_MODEL, injectDir, name);
        try {
            return GpuBackends.open(0, injectDir);
        } catch (GpuUnavailableException noGpus) {
            return new SimulatedGpus(8, SimulatedGpus.DEFAULT_MODEL, injectDir, name);
        }
    }
}
