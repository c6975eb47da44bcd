package gpufleet.cli;

import gpufleet.protocol.AuditView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** {@code gpufleet audit}: who changed what, when and from where (admins only). */
@Command(name = "audit", description = {"Show the audit log: every state-changing request carried out, and every request",
        "refused for lack of permission, with who made it, when and from where (admins only)."})
final class AuditCommand implements Runnable {
    @Mixin ControllerClient.Server server;
    @Mixin ControllerClient.Output output;
    @Option(names = "--since", paramLabel = "DURATION", description = "only this recent: 90m, 12h, 30d, 2w") String since;
    @Option(names = "--actor", paramLabel = "NAME", description = "only what this token holder did") String actor;
    @Option(names = "--limit", defaultValue = "50", description = "the newest this many (default ${DEFAULT-VALUE})") int limit;

    @Override
    public void run() {
        if (limit < 1 || limit > 10_000) throw new IllegalArgumentException("--limit must be in [1, 10000], got " + limit);
        Long ago = since == null ? null : TokenCommand.seconds(since);
        String q = "?limit=" + limit + (ago == null ? "" : "&since=" + (long) (Jobs.now() - ago))
                + (actor == null ? "" : "&actor=" + URLEncoder.encode(actor, StandardCharsets.UTF_8));
        ControllerClient c = server.client();
        JsonNode answer = c.get("/audit" + q);
        if (output.json()) {
            output.print(answer);
            return;
        }
        Table t = new Table("TIME", "ACTOR", "ROLE", "FROM", "ACTION", "TARGET", "STATUS");
        for (AuditView e : c.views(answer, AuditView.class))
            t.add(Fmt.time(e.time()), Jobs.text(e.actor()), Jobs.text(e.role()).toLowerCase(java.util.Locale.ROOT),
                    Jobs.text(e.address()), Jobs.text(e.action()), Jobs.text(e.target()), e.status());
        t.print(System.out);
    }
}
