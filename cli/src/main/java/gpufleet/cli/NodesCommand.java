package gpufleet.cli;

import gpufleet.protocol.HostView;
import gpufleet.protocol.JobView;
import gpufleet.protocol.PlacementView;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import tools.jackson.databind.JsonNode;

import java.util.HashMap;
import java.util.Map;

/** {@code gpufleet nodes}, like sinfo. */
@Command(name = "nodes", description = {"List hosts, like sinfo.",
        "USED counts the GPUs running jobs hold; FREE is the rest that are healthy."})
final class NodesCommand implements Runnable {
    @Mixin ControllerClient.Server server;
    @Mixin ControllerClient.Output output;

    @Override
    public void run() {
        ControllerClient c = server.client();
        JsonNode answer = c.get("/hosts");
        if (output.json()) {
            output.print(answer);
            return;
        }
        Map<String, Integer> held = held(c);
        double now = Jobs.now();
        Table t = new Table("HOST", "RACK", "ZONE", "STATE", "GPUS", "FREE", "USED", "UNHEALTHY", "LAST-HEARTBEAT");
        for (HostView h : c.views(answer, HostView.class)) {
            int used = held.getOrDefault(h.name(), 0);
            int unhealthy = h.unhealthyGpus().size();
            Double beat = h.lastHeartbeat();
            t.add(Jobs.text(h.name()), Jobs.text(h.rack()), Jobs.text(h.zone()), Jobs.text(h.status()), h.gpus(),
                    Math.max(0, h.gpus() - used - unhealthy), used, unhealthy, beat == null ? "-" : Fmt.elapsed(now - beat) + " ago");
        }
        t.print(System.out);
    }

    /** GPUs held per host, from the placements of running jobs: hosts do not report it themselves. */
    private static Map<String, Integer> held(ControllerClient c) {
        Map<String, Integer> out = new HashMap<>();
        for (JobView j : c.views(c.get("/jobs?state=RUNNING"), JobView.class))
            for (PlacementView p : j.placement()) out.merge(p.host(), p.gpus().size(), Integer::sum);
        return out;
    }
}
