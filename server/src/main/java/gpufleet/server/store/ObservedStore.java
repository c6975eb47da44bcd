package gpufleet.server.store;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.List;

/**
 * A {@link Store} that tells a {@link Listener} about every change once it is committed. Every change
 * the controller makes goes through its store, so this sees them all (jobs submitted, started,
 * preempted, restarted, ended; hosts registered, drained, lost, resumed) without the controller
 * knowing it is watched.
 *
 * <p>A dynamic proxy rather than a hand-written decorator: methods added to {@link Store} later pass
 * through untouched instead of breaking the build here. The listener runs in the thread that made the
 * change, often under the controller's lock, so it must be quick and must not call back into the
 * controller; a listener that throws is logged and otherwise ignored, as the change is already
 * committed.
 */
public final class ObservedStore {
    private static final System.Logger LOG = System.getLogger(ObservedStore.class.getName());

    /** What changed. Each method runs after the change is committed. */
    public interface Listener {
        /** A job was submitted. */
        default void submitted(JobRecord job) {}

        /** Jobs changed state or reason, all at {@code now}; {@code store} reads their state after the change. */
        default void jobsChanged(List<JobChange> changes, double now, Store store) {}

        /** A host registered, or its status, reason or unhealthy GPUs changed. */
        default void hostChanged(long hostId) {}

        /** A team was created or its quota changed. */
        default void teamChanged(TeamRecord team) {}

        /** Tells every listener, in order. */
        static Listener all(Listener... listeners) {
            List<Listener> ls = List.of(listeners);
            return new Listener() {
                @Override public void submitted(JobRecord job) { ls.forEach(l -> l.submitted(job)); }
                @Override public void jobsChanged(List<JobChange> c, double now, Store s) { ls.forEach(l -> l.jobsChanged(c, now, s)); }
                @Override public void hostChanged(long hostId) { ls.forEach(l -> l.hostChanged(hostId)); }
                @Override public void teamChanged(TeamRecord team) { ls.forEach(l -> l.teamChanged(team)); }
            };
        }
    }

    private ObservedStore() {}

    /** {@code store}, telling {@code listener} about each committed change. */
    public static Store wrap(Store store, Listener listener) {
        return (Store) Proxy.newProxyInstance(Store.class.getClassLoader(), new Class<?>[] {Store.class},
                (proxy, method, args) -> {
                    if (method.getDeclaringClass() == Object.class) return objectMethod(proxy, method, args, store);
                    Object result;
                    try {
                        result = method.invoke(store, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause(); // nothing was committed: nothing to tell
                    }
                    try {
                        tell(listener, store, method.getName(), args, result);
                    } catch (RuntimeException e) {
                        LOG.log(System.Logger.Level.WARNING, "store listener failed after " + method.getName(), e);
                    }
                    return result;
                });
    }

    @SuppressWarnings("unchecked")
    private static void tell(Listener l, Store store, String method, Object[] args, Object result) {
        switch (method) {
            case "insertJob" -> l.submitted((JobRecord) result);
            case "apply" -> l.jobsChanged((List<JobChange>) args[0], (Double) args[1], store);
            case "registerHost" -> l.hostChanged(((HostRecord) result).id());
            case "setHostStatus", "setQuarantine" -> l.hostChanged((Long) args[0]);
            case "putTeam" -> l.teamChanged((TeamRecord) result);
            default -> { }
        }
    }

    private static Object objectMethod(Object proxy, Method m, Object[] args, Store store) {
        return switch (m.getName()) {
            case "equals" -> proxy == args[0];
            case "hashCode" -> System.identityHashCode(proxy);
            case "toString" -> "observed " + store;
            default -> throw new UnsupportedOperationException(m.getName());
        };
    }
}
