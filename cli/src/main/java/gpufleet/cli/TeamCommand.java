package gpufleet.cli;

import gpufleet.protocol.TeamRequest;
import gpufleet.protocol.TeamView;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;


/** {@code gpufleet team add|list}: teams and their GPU quotas. */
@Command(name = "team", description = "Add teams, set their GPU quotas (admins only) and list them.",
        subcommands = {TeamCommand.Add.class, TeamCommand.ListTeams.class})
final class TeamCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "add", description = "Add a team, or change its quota.")
    static final class Add implements Runnable {
        @Mixin ControllerClient.Server server;
        @Mixin ControllerClient.Output output;
        @Parameters(paramLabel = "NAME", description = "team name") String name;
        @Option(names = "--quota", paramLabel = "GPUS", description = "GPUs its running jobs may hold at once (default: unlimited)")
        Integer quota;

        @Override
        public void run() {
            ControllerClient c = server.client();
            JsonNode answer = c.put("/teams/" + ControllerClient.segment(name), new TeamRequest(quota));
            if (output.json()) {
                output.print(answer);
                return;
            }
            TeamView t = c.view(answer, TeamView.class);
            System.out.println("team " + Jobs.text(t.name()) + ": quota " + (t.quotaGpus() != null ? t.quotaGpus() + " GPUs" : "unlimited"));
        }
    }

    @Command(name = "list", description = "List teams and their quotas.")
    static final class ListTeams implements Runnable {
        @Mixin ControllerClient.Server server;
        @Mixin ControllerClient.Output output;

        @Override
        public void run() {
            ControllerClient c = server.client();
            JsonNode answer = c.get("/teams");
            if (output.json()) {
                output.print(answer);
                return;
            }
            Table t = new Table("TEAM", "QUOTA");
            for (TeamView x : c.views(answer, TeamView.class))
                t.add(Jobs.text(x.name()), x.quotaGpus() != null ? x.quotaGpus() : "unlimited");
            t.print(System.out);
        }
    }
}
