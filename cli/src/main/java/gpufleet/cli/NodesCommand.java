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
        "USED counts the GPUs running jobs hold; FREE is the rest that are healthy. STATE is QUARANTINED for a host",
        "drained for diagnosis as a lemon (server --quarantine) until `gpufleet resume HOST`; REASON says why a host",
        "is not UP."})
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
        Table t = new Table("HOST", "RACK", "ZONE", "STATE", "GPUS", "FREE", "USED", "UNHEALTHY", "LAST-HEARTBEAT",
                "REASON");
        for (HostView h : c.views(answer, HostView.class)) {
            int used = held.getOrDefault(h.name(), 0);
            int unhealthy = h.unhealthyGpus().size();
            Double beat = h.lastHeartbeat();
            String status = Jobs.text(h.status());
            String reason = Jobs.text(h.statusReason());
            String quarantine = h.quarantine();
            if (quarantine != null && !quarantine.isBlank()) {
                // a quarantined host's own reason says why it is out; a later one (it was lost since) follows it
                reason = reason.equals("-") || reason.equals(quarantine) ? quarantine
                        : quarantine + "; now " + status + ": " + reason;
                status = "QUARANTINED";
            }
            t.add(Jobs.text(h.name()), Jobs.text(h.rack()), Jobs.text(h.zone()), status, h.gpus(),
                    Math.max(0, h.gpus() - used - unhealthy), used, unhealthy, beat == null ? "-" : Fmt.elapsed(now - beat) + " ago",
                    reason);
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
