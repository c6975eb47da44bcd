package gpufleet.cli.loadgen;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.Semaphore;

/**
 * A minimal HTTP/1.1 client: blocking sockets on virtual threads, persistent connections, bodies by
 * Content-Length or chunked. Enough to speak to the controller, and cheap, so that the load
 * generator leaves the CPU to the controller it measures.
 *
 * <p>Shared connections are pooled up to a bound; a connection idle for longer than
 * {@link #MAX_IDLE_NANOS} is closed rather than reused, since Jetty closes connections idle for 30 s
 * and a request written into a connection the server is closing fails without an answer.
 */
final class RawHttp implements Http {
    static final long MAX_IDLE_NANOS = 20_000_000_000L;
    private static final int CONNECT_TIMEOUT_MS = 10_000;
    private static final int LONG_POLL_READ_TIMEOUT_MS = 90_000;
    /** Shared calls (heartbeats, submits) that get no answer in this long count as failed. */
    private static final int READ_TIMEOUT_MS = 60_000;

    private final String host;
    private final int port;
    private final String prefix;
    private final String hostHeader;
    private final Semaphore permits;
    private final ArrayDeque<Conn> idle = new ArrayDeque<>(); // guarded by itself
    private final java.util.concurrent.atomic.AtomicInteger resent = new java.util.concurrent.atomic.AtomicInteger();

    /** Paths given to {@link #send} are under {@code prefix} (e.g. {@code /api/v1}). */
    RawHttp(String host, int port, String prefix, int maxShared) {
        this.host = host;
        this.port = port;
        this.prefix = prefix;
        this.hostHeader = host + ":" + port;
        this.permits = new Semaphore(maxShared);
    }

    @Override
    public Response send(String method, String path, byte[] json, String token) throws IOException, InterruptedException {
        permits.acquire();
        try {
            Conn c = takeIdle();
            if (c != null) {
                try {
                    return finish(c, c.exchange(method, prefix + path, json, token));
                } catch (IOException e) {
                    c.close();
                    // a reused connection the server was closing: sent again on a new one only when the
                    // call cannot have taken effect (not written), or taking effect twice is harmless (GET)
                    if (c.sent && !(method.equals("GET") && !c.answered)) throw e;
                    resent.incrementAndGet();
                }
            }
            c = open();
            try {
                return finish(c, c.exchange(method, prefix + path, json, token));
            } catch (IOException e) {
                c.close();
                throw e;
            }
        } finally {
            permits.release();
        }
    }

    private Response finish(Conn c, Response r) {
        if (c.reusable) {
            c.idleSince = System.nanoTime();
            synchronized (idle) {
                idle.push(c);
            }
        } else {
            c.close();
        }
        return r;
    }

    private Conn takeIdle() {
        long now = System.nanoTime();
        while (true) {
            Conn c;
            synchronized (idle) {
                c = idle.poll();
            }
            if (c == null) return null;
            if (now - c.idleSince < MAX_IDLE_NANOS) return c;
            c.close();
        }
    }

    private Conn open() throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.setSoTimeout(READ_TIMEOUT_MS);
        s.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MS);
        return new Conn(s, hostHeader);
    }

    @Override
    public Channel channel(String token) {
        return new Channel() {
            private Conn c;

            @Override
            public Response get(String path) throws IOException {
                boolean reused = c != null && c.reusable;
                if (!reused) {
                    c = open();
                    // a long poll answers within its wait; one that has not after this long never will
                    c.socket.setSoTimeout(LONG_POLL_READ_TIMEOUT_MS);
                }
                try {
                    return c.exchange("GET", prefix + path, null, token);
                } catch (IOException e) {
                    c.close();
                    if (!reused || c.answered) {
                        c = null;
                        throw e;
                    }
                    resent.incrementAndGet();
                    c = open(); // the server closed it between polls: once more on a new one
                    c.socket.setSoTimeout(LONG_POLL_READ_TIMEOUT_MS);
                    try {
                        return c.exchange("GET", prefix + path, null, token);
                    } catch (IOException again) {
                        c.close();
                        c = null;
                        throw again;
                    }
                }
            }

            @Override
            public void close() {
                if (c != null) c.close();
            }
        };
    }

    @Override
    public int resent() {
        return resent.get();
    }

    @Override
    public void close() {
        synchronized (idle) {
            for (Conn c : idle) c.close();
            idle.clear();
        }
    }

    /** One connection. {@code sent}/{@code answered} say how far the last exchange got before it failed. */
    static final class Conn {
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;
        private final String hostHeader;
        boolean reusable = true;
        boolean sent;
        boolean answered;
        long idleSince;

        Conn(Socket socket, String hostHeader) throws IOException {
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream(), 8192);
            this.out = socket.getOutputStream();
            this.hostHeader = hostHeader;
        }

        Response exchange(String method, String path, byte[] body, String token) throws IOException {
            sent = false;
            answered = false;
            StringBuilder head = new StringBuilder(160).append(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: ")
                    .append(hostHeader).append("\r\n");
            if (token != null) head.append("Authorization: Bearer ").append(token).append("\r\n");
            if (body != null)
                head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
            else if (!method.equals("GET"))
                head.append("Content-Length: 0\r\n");
            head.append("\r\n");
            byte[] h = head.toString().getBytes(StandardCharsets.ISO_8859_1);
            byte[] all = h;
            if (body != null) {
                all = new byte[h.length + body.length];
                System.arraycopy(h, 0, all, 0, h.length);
                System.arraycopy(body, 0, all, h.length, body.length);
            }
            out.write(all);
            out.flush();
            sent = true;
            return read(in, this);
        }

        void close() {
            reusable = false;
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }

    /** Reads one response: status line, headers, and a body by Content-Length or chunked encoding. */
    static Response read(InputStream in, Conn c) throws IOException {
        String status = line(in);
        if (status == null) throw new EOFException("connection closed before an answer");
        if (c != null) c.answered = true;
        if (!status.startsWith("HTTP/1.")) throw new IOException("not an HTTP/1.x answer: " + status);
        int code = Integer.parseInt(status.substring(9, 12));
        long length = -1;
        boolean chunked = false, close = status.startsWith("HTTP/1.0");
        String leader = null;
        for (String l = line(in); l != null && !l.isEmpty(); l = line(in)) {
            int colon = l.indexOf(':');
            if (colon < 0) continue;
            String name = l.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = l.substring(colon + 1).trim();
            switch (name) {
                case "content-length" -> length = Long.parseLong(value);
                case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
                case "connection" -> close = value.equalsIgnoreCase("close");
                case "x-gpufleet-leader" -> leader = value;
                default -> { }
            }
        }
        byte[] body;
        if (chunked) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            while (true) {
                String size = line(in);
                if (size == null) throw new EOFException("connection closed in a chunked body");
                int semi = size.indexOf(';');
                int n = Integer.parseInt((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                if (n == 0) {
                    for (String t = line(in); t != null && !t.isEmpty(); t = line(in)) { } // trailers
                    break;
                }
                b.write(in.readNBytes(n));
                line(in);
            }
            body = b.toByteArray();
        } else if (length >= 0) {
            body = in.readNBytes((int) length);
            if (body.length < length) throw new EOFException("connection closed in the body");
        } else {
            body = in.readAllBytes(); // no length: the body runs to the end of the connection
            close = true;
        }
        if (close && c != null) c.reusable = false;
        return new Response(code, body, leader);
    }

    /** A CRLF-terminated header line without its terminator, or null at the end of the stream. */
    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder(64);
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                int n = sb.length();
                if (n > 0 && sb.charAt(n - 1) == '\r') sb.setLength(n - 1);
                return sb.toString();
            }
            sb.append((char) b);
        }
        return sb.isEmpty() ? null : sb.toString();
    }
}
