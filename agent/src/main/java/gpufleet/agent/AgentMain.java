package gpufleet.agent;

import gpufleet.agent.gpu.GpuBackend;
import gpufleet.agent.gpu.GpuBackends;
import gpufleet.agent.gpu.SimulatedGpus;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * {@code gpufleet agent}: runs the node agent until killed. Also {@code gpufleet agent inject-xid}, which
 * asks a running agent with simulated GPUs to report an XID error.
 */
public final class AgentMain {
    static final String USAGE = """
            usage: gpufleet agent [--server URL] [--name NAME] [--rack RACK] [--zone ZONE] [--work-dir DIR]
                                  [--address ADDR] [--simulate-gpus N] [--nvml PATH] [--heartbeat SEC] [--kill-grace SEC]
                                  [--join-token TOKEN] [--ca-cert PEM] [--run-as USER]
                   gpufleet agent inject-xid [--work-dir DIR] --gpu INDEX --xid CODE
                   gpufleet agent heal [--work-dir DIR] --gpu INDEX
              inject-xid       make a simulated GPU of the agent in DIR report an XID error
              heal             make a simulated GPU of the agent in DIR report itself healthy again
                               (after which `gpufleet resume HOST` returns it to service)
              --server         the controller (default: $GPUFLEET_SERVER, else http://localhost:8080); several,
                               separated by commas, for controllers sharing one database
              --join-token     a join token (gpufleet token create --role join), needed once, to join the fleet;
                               the host's own credential is then kept in <work-dir>/credential
                               (default: $GPUFLEET_JOIN_TOKEN, which keeps it out of the process list)
              --ca-cert        the CA certificate (PEM) that signed an https controller's certificate
                               (default: $GPUFLEET_CA_CERT, else the JDK's certificate authorities)
              --run-as         the unprivileged user ranks run as (USER or UID:GID); required when the agent
                               runs as root (--run-as root runs them as root, knowingly)
              --name           this host's name (default: the machine's host name)
              --rack, --zone   topology labels (default rack0, zone0)
              --work-dir       rank logs, default checkpoints and agent state (default ./gpufleet-agent)
              --address        address other hosts reach this one at (default: as the controller sees it)
              --simulate-gpus  pretend to have N GPUs (hosts without NVIDIA GPUs, tests)
              --nvml           path of libnvidia-ml.so.1 when the dynamic linker cannot find it
              --heartbeat      seconds between heartbeats (default 5)
              --kill-grace     seconds between SIGTERM and SIGKILL when stopping ranks (default 10)""";

    private AgentMain() {}

    public static void main(String[] args) {
        int code = run(args);
        if (code != 0) System.exit(code);
    }

    /** Runs the agent (blocking until the process is killed or the agent stops itself); returns an exit code. */
    public static int run(String... args) {
        try {
            if (args.length > 0 && args[0].equals("inject-xid")) return injectXid(args, true);
            if (args.length > 0 && args[0].equals("heal")) return injectXid(args, false);
            return runAgent(args);
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("gpufleet agent: " + e.getMessage());
            return 2;
        } catch (gpufleet.agent.gpu.GpuUnavailableException e) {
            // no driver, or no GPU: the message says what to install or to pass --simulate-gpus
            System.err.println("gpufleet agent: " + e.getMessage());
            return 1;
        }
    }

    private static int runAgent(String[] args) {
        String server = System.getenv().getOrDefault("GPUFLEET_SERVER", "http://localhost:8080");
        String name = null, rack = "rack0", zone = "zone0", address = null;
        String joinToken = blankToNull(System.getenv("GPUFLEET_JOIN_TOKEN"));
        String ca = blankToNull(System.getenv("GPUFLEET_CA_CERT"));
        String runAsSpec = null;
        Path workDir = Path.of("gpufleet-agent");
        Path nvml = null;
        int simulate = 0;
        double heartbeat = AgentConfig.DEFAULT_HEARTBEAT.toMillis() / 1000.0;
        double grace = AgentConfig.DEFAULT_KILL_GRACE.toMillis() / 1000.0;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                System.out.println(USAGE);
                return 0;
            }
            if (i + 1 >= args.length) throw new IllegalArgumentException("option " + a + " needs a value\n" + USAGE);
            String v = args[++i];
            switch (a) {
                case "--server" -> server = v;
                case "--name" -> name = v;
                case "--rack" -> rack = v;
                case "--zone" -> zone = v;
                case "--work-dir" -> workDir = Path.of(v);
                case "--address" -> address = v;
                case "--nvml" -> nvml = Path.of(v);
                case "--join-token" -> joinToken = v;
                case "--ca-cert" -> ca = v;
                case "--run-as" -> runAsSpec = v;
                case "--simulate-gpus" -> simulate = (int) number(a, v, 1, 64);
                case "--heartbeat" -> heartbeat = number(a, v, 0.05, 3600);
                case "--kill-grace" -> grace = number(a, v, 0, 3600);
                default -> throw new IllegalArgumentException("unknown option " + a + "\n" + USAGE);
            }
        }
        if (name == null) name = hostName();
        java.util.List<URI> uris = new java.util.ArrayList<>();
        for (String one : server.split(",")) if (!one.isBlank()) uris.add(serverUri(one.strip()));
        if (uris.isEmpty()) throw new IllegalArgumentException("--server '" + server + "' is not a controller URL (expected http://HOST:PORT)");
        URI uri = uris.getFirst();
        Path caCert = ca == null ? null : Path.of(ca);
        if (caCert != null) gpufleet.protocol.Pem.trusting(caCert); // a bad file is refused now, not at the first call
        RunAs runAs = runAs(runAsSpec);
        Path injectDir = workDir.resolve("inject");
        GpuBackend gpus = simulate > 0 ? new SimulatedGpus(simulate, SimulatedGpus.DEFAULT_MODEL, injectDir, name)
                : GpuBackends.open(0, injectDir, nvml);
        AgentConfig config = new AgentConfig(uri, name, rack, zone, address, workDir.toAbsolutePath(),
                Duration.ofMillis((long) (heartbeat * 1000)), Duration.ofMillis((long) (grace * 1000)), joinToken, caCert,
                runAs, java.util.List.copyOf(uris.subList(1, uris.size())));
        Agent agent = new Agent(config, gpus);
        CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            done.countDown();
        }, "gpufleet-agent-shutdown"));
        try {
            agent.start();
            System.out.println("gpufleet agent " + name + " on " + server.strip() + ": host " + agent.hostId() + ", "
                    + gpus.gpus().size() + " GPUs (" + gpus.describe() + "), work dir " + config.workDir()
                    + (runAs != null && runAs.switches(RunAs.currentUid()) ? ", ranks run as " + runAs.describe() : ""));
            if (runAs != null && RunAs.currentUid() == 0 && !runAs.switches(0))
                System.out.println("WARNING: ranks run as root (--run-as root): a job can read this host's credential"
                        + " and every other job's files");
            if ("http".equals(uri.getScheme()) && !isLoopback(uri.getHost()))
                System.out.println("WARNING: the controller is reached over plain HTTP: this host's credential crosses the"
                        + " network in the clear");
            while (agent.fatal() == null && !done.await(1, java.util.concurrent.TimeUnit.SECONDS)) {
                // runs until killed, or until the controller hands the host to another agent
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot use work dir " + workDir + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (agent.fatal() != null) {
            agent.close(); // returns once the ranks are stopped, whichever thread began stopping them
            System.err.println("gpufleet agent: " + agent.fatal());
            return 1;
        }
        return 0;
    }

    /** {@code inject-xid} ({@code xid} true) or {@code heal}: a request to the simulated GPUs of a running agent. */
    private static int injectXid(String[] args, boolean xidWanted) {
        String what = xidWanted ? "inject-xid" : "heal";
        String usage = xidWanted ? "usage: gpufleet agent inject-xid [--work-dir DIR] --gpu INDEX --xid CODE\n"
                + "  --work-dir  the agent's work dir (default ./gpufleet-agent)\n"
                + "  --gpu       the GPU's index\n"
                + "  --xid       the XID code to report (79: fallen off the bus; 13: a program's fault)"
                : "usage: gpufleet agent heal [--work-dir DIR] --gpu INDEX\n"
                + "  --work-dir  the agent's work dir (default ./gpufleet-agent)\n"
                + "  --gpu       the GPU's index: it reports itself healthy again";
        Path workDir = Path.of("gpufleet-agent");
        Integer gpu = null, xid = null;
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                System.out.println(usage);
                return 0;
            }
            if (i + 1 >= args.length) throw new IllegalArgumentException("option " + a + " needs a value\n" + usage);
            String v = args[++i];
            switch (a) {
                case "--work-dir" -> workDir = Path.of(v);
                case "--gpu" -> gpu = (int) number(a, v, 0, 63);
                case "--xid" -> {
                    if (!xidWanted) throw new IllegalArgumentException("unknown option " + a + "\n" + usage);
                    xid = (int) number(a, v, 1, 100_000);
                }
                default -> throw new IllegalArgumentException("unknown option " + a + "\n" + usage);
            }
        }
        if (gpu == null || (xidWanted && xid == null))
            throw new IllegalArgumentException(what + " needs --gpu" + (xidWanted ? " and --xid" : "") + "\n" + usage);
        try {
            if (xidWanted) SimulatedGpus.requestXid(workDir.resolve("inject"), gpu, xid);
            else SimulatedGpus.requestHeal(workDir.resolve("inject"), gpu);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write to " + workDir.resolve("inject") + ": " + e.getMessage());
        }
        System.out.println(xidWanted ? "asked the agent in " + workDir + " to report XID " + xid + " on GPU " + gpu
                : "asked the agent in " + workDir + " to report GPU " + gpu + " healthy again");
        return 0;
    }

    /**
     * Who ranks run as. A root agent must be told: running other people's jobs as root by default would
     * give every job the host, the agent's credential and every other job's files.
     */
    static RunAs runAs(String spec) {
        int uid = RunAs.currentUid();
        if (spec == null) {
            if (uid == 0)
                throw new IllegalArgumentException("running as root, so ranks would run as root too: give --run-as USER"
                        + " (an unprivileged user for the jobs), or --run-as root to run them as root knowingly");
            return null;
        }
        RunAs r = RunAs.parse(spec);
        if (r.switches(uid)) {
            if (uid != 0) throw new IllegalArgumentException("--run-as " + spec + ": only an agent running as root can run ranks"
                    + " as another user");
            if (!java.nio.file.Files.isExecutable(RunAs.SETPRIV))
                throw new IllegalArgumentException("--run-as needs " + RunAs.SETPRIV + " (util-linux)");
        }
        return r;
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.strip();
    }

    private static boolean isLoopback(String host) {
        try {
            for (InetAddress a : InetAddress.getAllByName(host)) if (!a.isLoopbackAddress()) return false;
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static URI serverUri(String s) {
        try {
            URI u = new URI(s);
            if (u.getScheme() == null || !(u.getScheme().equals("http") || u.getScheme().equals("https")) || u.getHost() == null)
                throw new URISyntaxException(s, "expected http://HOST:PORT");
            return u;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("--server '" + s + "' is not a controller URL (expected http://HOST:PORT)");
        }
    }

    private static double number(String option, String v, double min, double max) {
        try {
            double d = Double.parseDouble(v);
            if (d >= min && d <= max) return d;
        } catch (NumberFormatException e) {
            // fall through to the message
        }
        throw new IllegalArgumentException(option + " must be a number in [" + fmt(min) + ", " + fmt(max) + "], got '" + v + "'");
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    private static String hostName() {
        try {
            String h = InetAddress.getLocalHost().getHostName();
            int dot = h.indexOf('.');
            return dot > 0 ? h.substring(0, dot) : h;
        } catch (IOException e) {
            return "localhost";
        }
    }
}
