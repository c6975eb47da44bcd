package gpufleet.cli;

import gpufleet.core.sched.Policy;
import gpufleet.core.sched.PolicyRegistry;
import gpufleet.core.sched.framework.Filter;
import gpufleet.core.sched.framework.Permit;
import gpufleet.core.sched.framework.Place;
import gpufleet.core.sched.framework.Plugin;
import gpufleet.core.sched.framework.PostCycle;
import gpufleet.core.sched.framework.PostFilter;
import gpufleet.core.sched.framework.PreFilter;
import gpufleet.core.sched.framework.QueueSort;
import gpufleet.core.sched.framework.Unschedulable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** {@code gpufleet policies}: each policy's profile, its plugins in order with their arguments. */
@Command(name = "policies", description = {"List the scheduling policies: each is a profile, a list of plugins",
        "(in the order the scheduler calls them) with their extension points and arguments.",
        "docs/policies.md says what each plugin does."})
final class PoliciesCommand implements Runnable {
    @Mixin ControllerClient.Output output;

    @Override
    public void run() {
        if (output.json()) {
            ArrayNode all = ControllerClient.JSON.createArrayNode();
            for (Policy p : PolicyRegistry.all()) all.add(json(p));
            output.print(all);
            return;
        }
        boolean first = true;
        for (Policy p : PolicyRegistry.all()) {
            if (!first) System.out.println();
            first = false;
            System.out.printf(Locale.ROOT, "%s  %s%n", p.name(), p.summary());
            Table t = new Table("  PLUGIN", "EXTENSION POINTS", "ARGUMENTS");
            for (Plugin pl : p.profile().plugins())
                t.add("  " + pl.name(), String.join(",", points(pl)), pl.args().isEmpty() ? "-" : pl.args());
            t.print(System.out);
        }
    }

    private static ObjectNode json(Policy p) {
        ObjectNode o = ControllerClient.JSON.createObjectNode();
        o.put("name", p.name());
        o.put("summary", p.summary());
        ArrayNode plugins = o.putArray("plugins");
        for (Plugin pl : p.profile().plugins()) {
            ObjectNode n = plugins.addObject();
            n.put("name", pl.name());
            ArrayNode pts = n.putArray("extensionPoints");
            for (String s : points(pl)) pts.add(s);
            n.put("args", pl.args());
        }
        return o;
    }

    /** The extension points a plugin implements, in the order a cycle calls them. */
    static List<String> points(Plugin p) {
        List<String> out = new ArrayList<>();
        if (p instanceof QueueSort) out.add("QueueSort");
        if (p instanceof PreFilter) out.add("PreFilter");
        if (p instanceof Filter) out.add("Filter");
        if (p instanceof Permit) out.add("Permit");
        if (p instanceof Place) out.add("Place");
        if (p instanceof PostFilter) out.add("PostFilter");
        if (p instanceof Unschedulable) out.add("Unschedulable");
        if (p instanceof PostCycle) out.add("PostCycle");
        return out;
    }
}
