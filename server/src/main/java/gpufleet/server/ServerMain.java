package gpufleet.server;

import gpufleet.core.job.RestartBackoff;
import gpufleet.core.lifecycle.Quarantine;
import gpufleet.core.sched.Policy;
import gpufleet.core.sched.PolicyRegistry;
import gpufleet.server.control.Controller;
import gpufleet.server.control.ControllerOptions;
import gpufleet.server.ha.HaRole;
import gpufleet.server.ha.Leadership;
import gpufleet.server.store.DatabaseSpec;
import gpufleet.server.store.SqlStore;
import gpufleet.server.store.StoreException;
import gpufleet.server.view.Usage;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * {@code ServerMain [--port 8080] [--data-dir ./gpufleet-data] [--bind 127.0.0.1] [--db sqlite|postgresql://...]
 * [--heartbeat-timeout 30] [--gpu-hour-usd 4.916] [--tls-cert PEM --tls-key PEM] [--no-auth] ...}: runs the
 * controller until killed.
 */
public final class ServerMain {
    static final String USAGE = """
            usage: gpufleet server [--port 8080] [--data-dir ./gpufleet-data] [--bind 127.0.0.1]
                                   [--db sqlite | postgresql://host:port/dbname?user=NAME&password=SECRET]
                                   [--heartbeat-timeout 30] [--gpu-hour-usd 4.916] [--tls-cert PEM --tls-key PEM]
                                   [--allow-plaintext] [--no-auth] [--new-admin-token] [--rate-limit 100] [--rate-burst 200]
                                   [--checkpoint-root DIR] [--restart-backoff 10] [--restart-backoff-max 300]
                                   [--healthy-run 600] [--policy gpufleet] [--advertise URL] [--quarantine N/WINDOW]
                                   [--checkpoint-cost 30] [--spares 0] [--hang-timeout SEC]
              --data-dir           the embedded database (sqlite), job logs, and the first admin token
              --db                 where state is kept: the embedded database (default) or a PostgreSQL server
              --heartbeat-timeout  seconds a host may stay silent before it is declared lost and its jobs
                                   are restarted elsewhere (default 30)
              --gpu-hour-usd       the price of a GPU-hour for the costs the dashboard shows (default 4.916,
                                   AWS's H100 capacity-block rate, as the twin's presets use)
              --tls-cert, --tls-key  serve HTTPS with this PEM certificate chain and its PEM private key
              --allow-plaintext    serve plain HTTP on an address other than loopback (behind a proxy
                                   that terminates TLS); tokens then cross the network in the clear
              --no-auth            no tokens needed: anyone who can connect controls the fleet (loopback only)
              --new-admin-token    make a new admin token and write it to <data-dir>/admin-token
              --rate-limit         requests a second each client may make on average; 0 turns it off
              --rate-burst         requests a client may make at once (default twice the rate)
              --checkpoint-root    shared storage mounted at the same path on every host: each job that gives no
                                   --checkpoint-dir checkpoints to DIR/<job id>. Without it such jobs checkpoint to
                                   their hosts' local disks, and lose all work since their run began at a failure
              --restart-backoff    seconds a job waits after its processes fail soon after starting; doubled at
                                   each such failure in a row (default 10; 0 restarts at once)
              --restart-backoff-max  the longest such wait, seconds (default 300)
              --healthy-run        seconds a run must last for its failure not to count as a quick one; it also
                                   resets the count (default 600)
              --policy             the scheduling policy, one of those `gpufleet policies` lists (default gpufleet).
                                   Backfill takes jobs' --time-limit as their run times; a job without one
                                   is never started ahead of a reservation it could delay
              --advertise          with --db postgresql://, where clients reach this controller (default
                                   http(s)://<bind>:<port>): controllers sharing one database elect a leader,
                                   and the others send clients there
              --quarantine         lemon hosts: a host that fails N times (lost, or a GPU fault) within WINDOW
                                   (e.g. 2/7d, the twin's --quarantine) is drained for diagnosis and stays out
                                   of service, shown QUARANTINED with the reason, until `gpufleet resume HOST`.
                                   Default: $GPUFLEET_QUARANTINE, else off
              --checkpoint-cost    seconds one checkpoint stalls a job, for the interval each job is advised
                                   (GPUFLEET_CHECKPOINT_INTERVAL: Young/Daly from this and the failure rate
                                   its hosts show; default 30)
              --spares             hot spares: N healthy hosts kept idle in each pool of hosts of one GPU type
                                   and count, not given to ordinary jobs; a gang that loses a host keeps its
                                   healthy ones and takes a spare for it (default 0: none, a broken gang is
                                   placed afresh)
              --hang-timeout       seconds a run that has reported progress (any line in a rank's
                                   GPUFLEET_PROGRESS_FILE) may go without reporting more before it is taken as
                                   hung and restarted from its checkpoint (default: off)""";

    private ServerMain() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Runs the controller until the process is stopped, then returns 0; returns at once with 0 after
     * printing the usage, 2 after a bad option, 1 when the database cannot be used. An exit code
     * rather than {@code System.exit}, so that {@code gpufleet server} can delegate here.
     */
    public static int run(String... args) {
        int port = 8080;
        Path dataDir = Path.of("gpufleet-data");
        String bind = "127.0.0.1";
        String db = "sqlite";
        String advertise = null;
        Duration heartbeatTimeout = Controller.DEFAULT_HEARTBEAT_TIMEOUT;
        Path tlsCert = null, tlsKey = null;
        boolean auth = true, plaintext = false, newAdmin = false;
        double rate = Security.DEFAULT_RATE;
        Double burst = null;
        double gpuHourUsd = Usage.DEFAULT_GPU_HOUR_USD;
        String checkpointRoot = null;
        double backoffBase = RestartBackoff.DEFAULT.base(), backoffMax = RestartBackoff.DEFAULT.max();
        double healthyRun = RestartBackoff.DEFAULT.healthyRun();
        Policy policy = Policy.GPUFLEET;
        String quarantineText = System.getenv("GPUFLEET_QUARANTINE");
        double checkpointCost = gpufleet.server.control.ControllerOptions.DEFAULTS.checkpointCostSec();
        int spares = 0;
        double hangTimeout = 0;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) {
                System.out.println(USAGE);
                return 0;
            }
            switch (a) {
                case "--no-auth" -> {
                    auth = false;
                    continue;
                }
                case "--allow-plaintext" -> {
                    plaintext = true;
                    continue;
                }
                case "--new-admin-token" -> {
                    newAdmin = true;
                    continue;
                }
                default -> { }
            }
            if (i + 1 >= args.length) return fail("option " + a + " needs a value");
            String v = args[++i];
            switch (a) {
                case "--port" -> {
                    try {
                        port = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        port = -1;
                    }
                    if (port < 0 || port > 65535) return fail("--port must be in [0, 65535], got '" + v + "'");
                }
                case "--data-dir" -> dataDir = Path.of(v);
                case "--tls-cert" -> tlsCert = Path.of(v);
                case "--tls-key" -> tlsKey = Path.of(v);
                case "--rate-limit", "--rate-burst" -> {
                    double d;
                    try {
                        d = Double.parseDouble(v);
                    } catch (NumberFormatException e) {
                        d = -1;
                    }
                    if (!(d >= 0 && d <= 1e6)) return fail(a + " must be a number in [0, 1000000], got '" + v + "'");
                    if (a.equals("--rate-limit")) rate = d;
                    else burst = d;
                }
                case "--bind" -> bind = v;
                case "--checkpoint-root" -> {
                    if (!v.startsWith("/")) return fail("--checkpoint-root must be an absolute path (every host mounts it at"
                            + " the same place), got '" + v + "'");
                    checkpointRoot = v;
                }
                case "--spares" -> {
                    try {
                        spares = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        spares = -1;
                    }
                    if (spares < 0 || spares > 100_000) return fail("--spares must be a whole number in [0, 100000], got '" + v + "'");
                }
                case "--hang-timeout" -> {
                    try {
                        hangTimeout = Double.parseDouble(v);
                    } catch (NumberFormatException e) {
                        hangTimeout = -1;
                    }
                    if (!(hangTimeout >= 1 && hangTimeout <= 86_400))
                        return fail("--hang-timeout must be a number of seconds in [1, 86400], got '" + v + "'");
                }
                case "--checkpoint-cost" -> {
                    try {
                        checkpointCost = Double.parseDouble(v);
                    } catch (NumberFormatException e) {
                        checkpointCost = -1;
                    }
                    if (!(checkpointCost > 0 && checkpointCost <= 86_400))
                        return fail("--checkpoint-cost must be a number of seconds in (0, 86400], got '" + v + "'");
                }
                case "--restart-backoff", "--restart-backoff-max", "--healthy-run" -> {
                    double sec;
                    try {
                        sec = Double.parseDouble(v);
                    } catch (NumberFormatException e) {
                        sec = -1;
                    }
                    if (!(sec >= 0 && sec <= 7 * 86_400))
                        return fail(a + " must be a number of seconds in [0, 604800], got '" + v + "'");
                    switch (a) {
                        case "--restart-backoff" -> backoffBase = sec;
                        case "--restart-backoff-max" -> backoffMax = sec;
                        default -> healthyRun = sec;
                    }
                }
                case "--db" -> db = v;
                case "--quarantine" -> quarantineText = v;
                case "--advertise" -> {
                    if (!v.matches("https?://[^/\\s]+"))
                        return fail("--advertise must be a URL such as https://ctl1.example:8443 (no path), got '" + v + "'");
                    advertise = v;
                }
                case "--policy" -> {
                    try {
                        policy = PolicyRegistry.get(v);
                    } catch (IllegalArgumentException e) {
                        return fail(e.getMessage());
                    }
                }
                case "--heartbeat-timeout" -> {
                    double sec;
                    try {
                        sec = Double.parseDouble(v);
                    } catch (NumberFormatException e) {
                        sec = -1;
                    }
                    if (!(sec >= 1 && sec <= 86_400))
                        return fail("--heartbeat-timeout must be a number of seconds in [1, 86400], got '" + v + "'");
                    heartbeatTimeout = Duration.ofMillis((long) (sec * 1000));
                }
                case "--gpu-hour-usd" -> {
                    try {
                        gpuHourUsd = Double.parseDouble(v);
                    } catch (NumberFormatException e) {
                        gpuHourUsd = -1;
                    }
                    if (!(gpuHourUsd >= 0 && gpuHourUsd <= 1000))
                        return fail("--gpu-hour-usd must be a price in [0, 1000], got '" + v + "'");
                }
                default -> {
                    return fail("unknown option " + a);
                }
            }
        }
        if ((tlsCert == null) != (tlsKey == null)) return fail("--tls-cert and --tls-key go together");
        if (backoffMax < backoffBase)
            return fail("--restart-backoff-max (" + backoffMax + ") must be at least --restart-backoff (" + backoffBase + ")");
        Quarantine quarantine = Quarantine.OFF;
        if (quarantineText != null && !quarantineText.isBlank()) {
            try {
                quarantine = Quarantine.parse(quarantineText);
            } catch (IllegalArgumentException e) {
                return fail("--quarantine (or $GPUFLEET_QUARANTINE): " + e.getMessage());
            }
        }
        ControllerOptions options = new ControllerOptions(heartbeatTimeout,
                new RestartBackoff(backoffBase, backoffMax, healthyRun), checkpointRoot, policy, quarantine, checkpointCost, spares, hangTimeout);
        boolean loopback = GpufleetServer.isLoopback(bind);
        if (!auth && !loopback)
            return fail("--no-auth is allowed only on a loopback address (--bind 127.0.0.1), not " + bind
                    + ": a controller anyone on the network can drive must not exist");
        if (!loopback && tlsCert == null && !plaintext)
            return fail("--bind " + bind + " without TLS would send tokens in the clear: give --tls-cert and --tls-key,"
                    + " or --allow-plaintext behind a proxy that terminates TLS");
        Security security = new Security(auth, tlsCert, tlsKey, rate, burst != null ? burst : 2 * rate);
        if (!DatabaseSpec.isSqlite(db)) {
            // a controller up before its database waits for it (answering 503 meanwhile) instead of exiting
            java.util.Optional<DatabaseWait.Refusal> refused;
            try {
                refused = new DatabaseWait(DatabaseSpec.postgres(db), System.err, DatabaseWait::pause)
                        .await(bind, port, tlsCert != null);
            } catch (IllegalArgumentException e) {
                return fail(e.getMessage());
            }
            if (refused.isPresent()) {
                System.err.println("gpufleet server: cannot open database " + DatabaseSpec.redact(db) + ": " + refused.get().why());
                return 1;
            }
        }
        SqlStore store;
        try {
            store = SqlStore.open(db, dataDir);
        } catch (IllegalArgumentException e) {
            return fail(e.getMessage());
        } catch (StoreException e) {
            // a server that is down or refuses the login is the operator's to fix: the driver's message
            // says which, and a stack trace would only bury it
            System.err.println("gpufleet server: " + e.getMessage());
            return 1;
        }
        if (advertise != null && DatabaseSpec.isSqlite(db))
            return fail("--advertise is for controllers sharing a PostgreSQL database (--db postgresql://...)");
        HaRole ha = null;
        if (!DatabaseSpec.isSqlite(db)) {
            try {
                ha = new HaRole(new Leadership(DatabaseSpec.postgres(db), holderId(), advertise), store);
            } catch (StoreException e) {
                store.close();
                System.err.println("gpufleet server: " + e.getMessage());
                return 1;
            }
        }
        GpufleetServer s;
        try {
            s = GpufleetServer.start(store, dataDir, bind, port, Duration.ofSeconds(1), options, gpuHourUsd, security, ha);
        } catch (IllegalArgumentException | java.io.UncheckedIOException e) {
            if (ha != null) ha.close();
            store.close();
            return fail(e.getMessage());
        } catch (IllegalStateException e) {
            // another controller holds the data directory: its message names it
            if (ha != null) ha.close();
            store.close();
            System.err.println("gpufleet server: " + e.getMessage());
            return 1;
        }
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            s.close();
            closed.countDown();
        }, "gpufleet-shutdown"));
        String scheme = s.tls() ? "https" : "http";
        System.out.println("gpufleet controller on " + scheme + "://" + bind + ":" + s.port() + "/api/v1, dashboard on "
                + scheme + "://" + bind + ":" + s.port() + "/ (data in "
                + (DatabaseSpec.isSqlite(db) ? dataDir.toAbsolutePath() : DatabaseSpec.redact(db)) + ")");
        for (String line : securityNotes(s, dataDir, newAdmin, plaintext && !loopback)) System.out.println(line);
        System.out.println(policyLine(policy));
        System.out.println(quarantineLine(quarantine));
        if (hangTimeout > 0)
            System.out.println("hang detector: a run that reported progress and then none for "
                    + (hangTimeout == Math.rint(hangTimeout) ? Long.toString((long) hangTimeout) : Double.toString(hangTimeout))
                    + " s is restarted (--hang-timeout)");
        if (spares > 0) System.out.println("hot spares: " + spares + " idle host" + (spares == 1 ? "" : "s")
                + " kept in each pool of one GPU type and count; a gang that loses a host takes one in its place");
        if (ha != null) System.out.println(haLine(ha));
        System.out.println(checkpointRoot != null
                ? "checkpoints: a job that gives no --checkpoint-dir checkpoints to " + checkpointRoot + "/<job id>"
                : "checkpoints: no --checkpoint-root, so a job that gives no --checkpoint-dir checkpoints to its hosts'"
                        + " local disks and loses all work since its run began at a failure");
        try {
            closed.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return 0;
    }

    /** This process among the controllers on its database: unique, and readable in the lease row. */
    static String holderId() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
            host = "localhost";
        }
        return host + "/" + ProcessHandle.current().pid() + "/" + Long.toHexString(new java.security.SecureRandom().nextLong());
    }

    /** What a controller on a shared database says at start: whether it leads, else who does. */
    static String haLine(HaRole ha) {
        var st = ha.status();
        return "leader".equals(st.get("role"))
                ? "leading: controllers sharing this database send clients to " + ha.address()
                : "standby: " + (st.get("leader") == null ? "no controller leads yet" : "the leader is " + st.get("leader"))
                        + "; this one answers reads, sends changes to the leader, and takes over if it stops";
    }

    /** Whether lemon hosts are quarantined, as the controller's start-up output says it. */
    public static String quarantineLine(Quarantine q) {
        return q.on() ? "lemon-host quarantine: a host that fails " + q.describe().replace("/", " times within ")
                + " is drained for diagnosis until resumed (--quarantine " + q.describe() + ")"
                : "lemon-host quarantine: off (--quarantine 2/7d turns it on)";
    }

    /** The policy a controller schedules with, as its start-up output says it. */
    public static String policyLine(Policy p) {
        return "scheduling policy: " + p.name() + " (" + p.summary() + ")";
    }

    /** What an operator must know about how this controller is guarded, printed at start. */
    static java.util.List<String> securityNotes(GpufleetServer s, Path dataDir, boolean newAdmin, boolean plaintextOnNetwork) {
        java.util.List<String> out = new java.util.ArrayList<>();
        if (s.tokens() == null) {
            out.add("WARNING: authentication is OFF (--no-auth): every process on this machine can submit, cancel,");
            out.add("WARNING: drain and read every job's logs. Do not use this for a shared fleet.");
        } else if (s.ha().isPresent() && !s.ha().get().scheduling()) {
            // a standby writes nothing, an admin token included
            out.add("authentication on; the admin token is in the data directory of the controller that led first"
                    + (newAdmin ? " (--new-admin-token is for the leader: run it there)" : ""));
        } else {
            java.util.Optional<Path> made = s.newAdminTokenFile();
            if (made.isEmpty() && newAdmin) made = java.util.Optional.of(s.tokens().newAdmin(dataDir));
            Path file = dataDir.resolve(gpufleet.server.auth.Tokens.ADMIN_TOKEN_FILE).toAbsolutePath();
            if (made.isPresent())
                out.add("admin token written to " + made.get().toAbsolutePath() + " (readable by this user only);"
                        + " gpufleet commands on this machine find it there");
            else if (java.nio.file.Files.isReadable(file))
                out.add("authentication on; the admin token is in " + file);
            else
                out.add("authentication on; no admin token file in " + dataDir.toAbsolutePath()
                        + " (restart with --new-admin-token to make one)");
        }
        if (!s.tls())
            out.add(plaintextOnNetwork ? "WARNING: TLS off on a network address (--allow-plaintext): tokens cross the network in the clear"
                    : "TLS off: plain HTTP, on loopback only");
        return out;
    }

    private static int fail(String message) {
        System.err.println("gpufleet server: " + message);
        return 2;
    }
}
