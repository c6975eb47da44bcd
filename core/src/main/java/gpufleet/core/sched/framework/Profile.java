package gpufleet.core.sched.framework;

import gpufleet.core.sched.QueueOrder;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A scheduling profile: the plugins one cycle runs, in order. Each extension point calls the
 * profile's plugins that implement it, in the order they are listed.
 */
public final class Profile {
    private final List<Plugin> plugins;
    private final List<QueueSort> queueSorts = new ArrayList<>();
    private final List<PreFilter> preFilters = new ArrayList<>();
    private final List<Filter> filters = new ArrayList<>();
    private final List<Permit> permits = new ArrayList<>();
    private final List<PostFilter> postFilters = new ArrayList<>();
    private final List<Unschedulable> unschedulables = new ArrayList<>();
    private final List<PostCycle> postCycles = new ArrayList<>();
    private final Place place;
    private final QueueOrder order;

    public Profile(List<? extends Plugin> plugins) {
        this.plugins = List.copyOf(plugins);
        Set<String> names = new HashSet<>();
        Place first = null;
        QueueOrder ord = null;
        for (Plugin p : this.plugins) {
            if (!names.add(p.name())) throw new IllegalArgumentException("plugin '" + p.name() + "' is listed twice");
            if (p instanceof QueueSort q) queueSorts.add(q);
            if (p instanceof PreFilter f) preFilters.add(f);
            if (p instanceof Filter f) filters.add(f);
            if (p instanceof Place pl && first == null) first = pl;
            if (p instanceof Permit pm) permits.add(pm);
            if (p instanceof PostFilter pf) postFilters.add(pf);
            if (p instanceof Unschedulable u) unschedulables.add(u);
            if (p instanceof PostCycle pc) postCycles.add(pc);
            if (p instanceof Ordered o && ord == null) ord = o.order();
        }
        if (queueSorts.isEmpty()) throw new IllegalArgumentException("a profile needs a queue sort plugin");
        this.place = first;
        this.order = ord != null ? ord : QueueOrder.FIFO;
    }

    /** A plugin that sorts by a {@link QueueOrder}, which callers may use to keep their queue in order. */
    public interface Ordered {
        QueueOrder order();
    }

    public List<Plugin> plugins() { return plugins; }
    public List<QueueSort> queueSorts() { return queueSorts; }
    public List<PreFilter> preFilters() { return preFilters; }
    public List<Filter> filters() { return filters; }
    /** The placement plugin, or null when the profile starts jobs only in a post-cycle pass. */
    public Place place() { return place; }
    public List<Permit> permits() { return permits; }
    public List<PostFilter> postFilters() { return postFilters; }
    public List<Unschedulable> unschedulables() { return unschedulables; }
    public List<PostCycle> postCycles() { return postCycles; }

    /** The order of the first {@link Ordered} queue sort (arrival order if none): a caller's queue order. */
    public QueueOrder order() { return order; }

    /** The first plugin of this type, or null. */
    public <T> T find(Class<T> type) {
        for (Plugin p : plugins) if (type.isInstance(p)) return type.cast(p);
        return null;
    }

    /** "name(args) name ..." for listings. */
    @Override
    public String toString() {
        var sb = new StringBuilder();
        for (Plugin p : plugins) {
            if (!sb.isEmpty()) sb.append(' ');
            sb.append(p.name());
            if (!p.args().isEmpty()) sb.append('(').append(p.args()).append(')');
        }
        return sb.toString();
    }
}
