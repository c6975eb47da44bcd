package gpufleet.cli.loadgen;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Several controllers sharing one database, reached as agents reach them: every call goes to the one
 * that answered last; a controller that cannot be reached, or that answers as a standby ({@code 307})
 * or while an election is on ({@code 503}), hands the call on to the next, a few rounds at most. A
 * redirect that names the leader ({@code X-Gpufleet-Leader}) sends the call there at once, as a real
 * agent's client does, so that agents reach a new leader as soon as a standby knows of it.
 */
final class FailoverHttp implements Http {
    private static final int ROUNDS = 3;
    private static final long PAUSE_BETWEEN_ROUNDS_MS = 200;
    private final List<Http> controllers;
    /** Each controller's address as a redirect names it ({@code http://host:port}), in the order of {@link #controllers}. */
    private final List<String> addresses;
    private final AtomicInteger current = new AtomicInteger();

    FailoverHttp(List<Http> controllers, List<String> addresses) {
        if (controllers.isEmpty()) throw new IllegalArgumentException("no controllers");
        if (addresses.size() != controllers.size()) throw new IllegalArgumentException("one address per controller");
        this.controllers = List.copyOf(controllers);
        this.addresses = List.copyOf(addresses);
    }

    /** The controller a redirect names, or -1 when it names none of these. */
    private int indexOf(String leader) {
        if (leader == null) return -1;
        String l = leader.endsWith("/") ? leader.substring(0, leader.length() - 1) : leader;
        return addresses.indexOf(l);
    }

    /** After an answer {@code r} from controller {@code i} that was no answer to the call: which to try next. */
    private void moveOn(int i, Response r) {
        int named = r == null ? -1 : indexOf(r.leader());
        current.compareAndSet(i, named >= 0 && named != i ? named : (i + 1) % controllers.size());
    }

    @Override
    public Response send(String method, String path, byte[] json, String token) throws IOException, InterruptedException {
        return through(c -> c.send(method, path, json, token));
    }

    private interface Exchange {
        Response on(Http controller) throws IOException, InterruptedException;
    }

    private Response through(Exchange e) throws IOException, InterruptedException {
        int tries = ROUNDS * controllers.size();
        IOException failed = null;
        Response refused = null;
        for (int t = 0; t < tries; t++) {
            if (t > 0 && t % controllers.size() == 0) Thread.sleep(PAUSE_BETWEEN_ROUNDS_MS);
            int i = current.get();
            Response r = null;
            try {
                r = e.on(controllers.get(i));
                if (r.status() != 307 && r.status() != 503) return r;
                refused = r;
            } catch (IOException io) {
                failed = io;
            }
            moveOn(i, r);
        }
        if (refused != null) return refused;
        throw failed;
    }

    @Override
    public Channel channel(String token) {
        return new Channel() {
            private final Channel[] open = new Channel[controllers.size()];

            /**
             * Tries each controller once at most, as an agent does before it pauses: one that cannot be
             * reached gives way to the next, a redirect goes to the leader it names.
             */
            @Override
            public Response get(String path) throws IOException, InterruptedException {
                IOException failed = null;
                Response refused = null;
                boolean[] tried = new boolean[controllers.size()];
                for (int t = 0; t < controllers.size(); t++) {
                    int i = current.get();
                    if (tried[i]) i = firstUntried(tried);
                    if (i < 0) break;
                    tried[i] = true;
                    if (open[i] == null) open[i] = controllers.get(i).channel(token);
                    try {
                        Response r = open[i].get(path);
                        if (r.status() != 307 && r.status() != 503) {
                            current.set(i);
                            return r;
                        }
                        refused = r;
                        moveOn(i, r);
                    } catch (IOException e) {
                        open[i].close();
                        open[i] = null;
                        failed = e;
                        moveOn(i, null);
                    }
                }
                if (refused != null) return refused;
                throw failed != null ? failed : new IOException("no controller to ask");
            }

            private static int firstUntried(boolean[] tried) {
                for (int j = 0; j < tried.length; j++) if (!tried[j]) return j;
                return -1;
            }

            @Override
            public void close() {
                for (Channel c : open) if (c != null) c.close();
            }
        };
    }

    @Override
    public int resent() {
        int sum = 0;
        for (Http c : controllers) sum += Math.max(0, c.resent());
        return sum;
    }

    @Override
    public void close() {
        for (Http c : controllers) c.close();
    }
}
