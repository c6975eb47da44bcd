package gpufleet.cli.loadgen;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Several controllers sharing one database, reached as agents reach them: every call goes to the one
 * that answered last; a controller that cannot be reached, or that answers as a standby ({@code 307})
 * or while an election is on ({@code 503}), hands the call on to the next, a few rounds at most.
 * (The redirect names the leader in a header this client does not read: with two or three
 * controllers, trying the next finds it within a round.)
 */
final class FailoverHttp implements Http {
    private static final int ROUNDS = 3;
    private static final long PAUSE_BETWEEN_ROUNDS_MS = 200;
    private final List<Http> controllers;
    private final AtomicInteger current = new AtomicInteger();

    FailoverHttp(List<Http> controllers) {
        if (controllers.isEmpty()) throw new IllegalArgumentException("no controllers");
        this.controllers = List.copyOf(controllers);
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
            try {
                Response r = e.on(controllers.get(i));
                if (r.status() != 307 && r.status() != 503) return r;
                refused = r;
            } catch (IOException io) {
                failed = io;
            }
            current.compareAndSet(i, (i + 1) % controllers.size());
        }
        if (refused != null) return refused;
        throw failed;
    }

    @Override
    public Channel channel(String token) {
        return new Channel() {
            private final Channel[] open = new Channel[controllers.size()];

            @Override
            public Response get(String path) throws IOException, InterruptedException {
                int i = current.get();
                if (open[i] == null) open[i] = controllers.get(i).channel(token);
                try {
                    Response r = open[i].get(path);
                    if (r.status() == 307 || r.status() == 503) current.compareAndSet(i, (i + 1) % controllers.size());
                    return r;
                } catch (IOException e) {
                    open[i].close();
                    open[i] = null;
                    current.compareAndSet(i, (i + 1) % controllers.size());
                    throw e;
                }
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
