package gpufleet.core.sched.framework;

import java.util.HashMap;
import java.util.Map;

/**
 * What a profile's plugins remember from one cycle to the next (the time of the last rank pass, a
 * Tiresias queue's order), keyed by plugin name. The scheduler takes it as an input of a cycle and
 * returns the next one, so a cycle is a function of its inputs. Values must be immutable.
 */
public record Memory(Map<String, Object> byPlugin) {
    public static final Memory EMPTY = new Memory(Map.of());

    public Memory {
        byPlugin = Map.copyOf(byPlugin);
    }

    /** What plugin {@code name} remembered, or null. */
    public Object get(String name) {
        return byPlugin.get(name);
    }

    public Memory with(Map<String, Object> changes) {
        if (changes.isEmpty()) return this;
        var m = new HashMap<>(byPlugin);
        m.putAll(changes);
        return new Memory(m);
    }
}
