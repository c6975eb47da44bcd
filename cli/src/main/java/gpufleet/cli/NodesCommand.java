package gpufleet.cli;

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
        JsonNode hosts = c.get("/hosts");
        if (output.json()) {
            output.print(hosts);
            return;
        }
        Map<String, Integer> held = held(c);
        double now = Jobs.now();
        Table t = new Table("HOST", "RACK", "ZONE", "STATE", "GPUS", "FREE", "USED", "UNHEALTHY", "LAST-HEARTBEAT",
                "REASON");
        for (JsonNode h : hosts) {
            String name = Jobs.text(h, "name");
            Double gpus = Jobs.number(h, "gpus");
            Double usedField = Jobs.number(h, "usedGpus");
            int used = usedField != null ? usedField.intValue() : held.getOrDefault(name, 0);
            Integer unhealthy = unhealthy(h);
            String free = gpus == null ? "-"
                    : Integer.toString(Math.max(0, gpus.intValue() - used - (unhealthy == null ? 0 : unhealthy)));
            Double beat = Jobs.number(h, "lastHeartbeat");
            String quarantine = Jobs.text(h, "quarantine");
            String status = Jobs.text(h, "status");
            // a quarantined host's own reason says why it is out; a later one (it was lost since) follows it
            String reason = Jobs.text(h, "statusReason");
            if (!quarantine.equals("-")) {
                reason = reason.equals("-") || reason.equals(quarantine) ? quarantine : quarantine + "; now " + status
                        + ": " + reason;
                status = "QUARANTINED";
            }
            t.add(name, Jobs.text(h, "rack"), Jobs.text(h, "zone"), status, Jobs.text(h, "gpus"),
                    free, used, unhealthy, beat == null ? "-" : Fmt.elapsed(now - beat) + " ago", reason);
        }
        t.print(System.out);
    }

    /** GPUs held per host, from the placements of running jobs: hosts do not report it themselves yet. */
    private static Map<String, Integer> held(ControllerClient c) {
        Map<String, Integer> out = new HashMap<>();
        for (JsonNode j : c.get("/jobs?state=RUNNING"))
            for (JsonNode p : j.path("placement"))
                out.merge(Jobs.text(p, "host"), p.path("gpus").size(), Integer::sum);
        return out;
    }

    /** A count, or a list of the unhealthy GPUs; null when the host does not say. */
    private static Integer unhealthy(JsonNode h) {
        JsonNode v = h.get("unhealthyGpus");
        if (v == null) return null;
        if (v.isNumber()) return v.intValue();
        if (v.isArray()) return v.size();
        return null;
    }
}
