package gpufleet.cli;

import gpufleet.protocol.TokenRequest;
import gpufleet.protocol.TokenSecretView;
import gpufleet.protocol.TokenView;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code gpufleet token create|list|revoke}: the controller's tokens (admins only). */
@Command(name = "token", description = "Make, list and revoke tokens (admins only).",
        subcommands = {TokenCommand.Create.class, TokenCommand.ListTokens.class, TokenCommand.Revoke.class})
final class TokenCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*([smhdw])");

    /** {@code 90m}, {@code 12h}, {@code 30d}, {@code 2w} as seconds; {@code never} as null. */
    static Long seconds(String s) {
        if (s.equalsIgnoreCase("never")) return null;
        Matcher m = DURATION.matcher(s.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) throw new IllegalArgumentException("--expires must be like 90m, 12h, 30d, 2w or never, got '" + s + "'");
        long n = Long.parseLong(m.group(1));
        long unit = switch (m.group(2)) {
            case "s" -> 1;
            case "m" -> 60;
            case "h" -> 3600;
            case "d" -> 86_400;
            default -> 7 * 86_400;
        };
        if (n < 1 || n > 10L * 366 * 86_400 / unit) throw new IllegalArgumentException("--expires must be between 1s and ten years");
        return n * unit;
    }

    @Command(name = "create", description = {"Make a token. It is printed once and never again: hand it over and do not keep it.",
            "Roles: admin (everything), member (submit, cancel and read logs of one team's jobs; needs --team),",
            "viewer (read-only: queue, jobs, hosts, teams), join (lets agents join the fleet; 24 h unless --expires)."})
    static final class Create implements Runnable {
        @Mixin ControllerClient.Server server;
        @Mixin ControllerClient.Output output;
        @Option(names = "--name", required = true, description = "who holds it (a person, a rack's agents, a CI job)") String name;
        @Option(names = "--role", required = true, description = "admin, member, viewer or join") String role;
        @Option(names = "--team", description = "a member's team") String team;
        @Option(names = "--expires", paramLabel = "DURATION", description = "90m, 12h, 30d, 2w or never (default: never; join tokens 24h)")
        String expires;

        @Override
        public void run() {
            Long ttl = expires != null ? seconds(expires) : role.equalsIgnoreCase("join") ? Long.valueOf(86_400) : null;
            ControllerClient c = server.client();
            JsonNode answer = c.post("/tokens", new TokenRequest(name, role, team, ttl));
            if (output.json()) {
                output.print(answer);
                return;
            }
            TokenView t = c.view(answer, TokenView.class);
            String secret = c.view(answer, TokenSecretView.class).token();
            if (secret == null) throw new ControllerClient.Failure("the answer from the controller holds no token");
            String who = Jobs.text(t.role()).toLowerCase(Locale.ROOT) + (t.team() != null ? " of team " + t.team() : "");
            System.out.println("token " + Jobs.text(t.id()) + " for " + Jobs.text(t.name()) + " (" + who + "), "
                    + (t.expiresAt() == null ? "does not expire" : "expires " + Fmt.time(t.expiresAt())) + ":");
            System.out.println(secret);
            System.out.println("It is shown only now. Give it to its holder, who runs: gpufleet login --server URL"
                    + ("JOIN".equals(t.role()) ? " (or, for agents: gpufleet agent --join-token ...)" : ""));
        }
    }

    @Command(name = "list", description = "List tokens by id and holder; never their secrets.")
    static final class ListTokens implements Runnable {
        @Mixin ControllerClient.Server server;
        @Mixin ControllerClient.Output output;
        @Option(names = "--all", description = "include revoked and expired tokens") boolean all;

        @Override
        public void run() {
            ControllerClient c = server.client();
            JsonNode answer = c.get("/tokens");
            if (output.json()) {
                output.print(answer);
                return;
            }
            Table t = new Table("ID", "NAME", "ROLE", "TEAM/HOST", "STATE", "CREATED", "EXPIRES", "BY");
            for (TokenView k : c.views(answer, TokenView.class)) {
                String state = Jobs.text(k.state());
                if (!all && !state.equals("active")) continue;
                t.add(Jobs.text(k.id()), Jobs.text(k.name()), Jobs.text(k.role()).toLowerCase(Locale.ROOT),
                        k.team() != null ? Jobs.text(k.team()) : k.host() != null ? Jobs.text(k.host()) : "-",
                        state, Fmt.time(k.createdAt()), k.expiresAt() == null ? "never" : Fmt.time(k.expiresAt()),
                        Jobs.text(k.createdBy()));
            }
            t.print(System.out);
        }
    }

    @Command(name = "revoke", description = {"Revoke a token at once.",
            "Revoking a host's credential fences the host: it is marked down and its jobs restart elsewhere."})
    static final class Revoke implements Runnable {
        @Mixin ControllerClient.Server server;
        @Mixin ControllerClient.Output output;
        @Parameters(paramLabel = "ID", description = "the token's id (gpufleet token list), or the whole token") String id;

        @Override
        public void run() {
            String tokenId = id.startsWith("gft_") && id.length() > 14 ? id.substring(4, 14) : id;
            ControllerClient c = server.client();
            JsonNode answer = c.post("/tokens/" + ControllerClient.segment(tokenId) + "/revoke", null);
            if (output.json()) {
                output.print(answer);
                return;
            }
            TokenView t = c.view(answer, TokenView.class);
            System.out.println("revoked token " + Jobs.text(t.id()) + " (" + Jobs.text(t.name()) + ")"
                    + (t.host() != null ? "; host " + t.host() + " is fenced" : ""));
        }
    }
}
