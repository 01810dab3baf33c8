package dev.vigil.agent.control;

import jnr.unixsocket.Credentials;
import jnr.unixsocket.UnixServerSocketChannel;
import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;
import jnr.unixsocket.UnixSocketOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * The agent's admin socket ({@code vigil { admin_socket PATH }}, default {@code /run/vigil/agent.sock}): a unix
 * stream socket, mode 0600, owned by the agent's user (root). One request per connection: the client writes one
 * command line, the agent answers {@code OK} or {@code ERR <reason>} on the first line, then the body, and closes.
 *
 * <p>Two gates: the file mode keeps everyone but root from connecting at all; the peer's credentials
 * ({@code SO_PEERCRED}, from the kernel, not from the client) are checked again for every state-changing command,
 * so an operator who opens the socket to a monitoring user (chmod, ACL) gives that user the read commands only.
 */
public final class AdminSocket implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("dev.vigil.agent.control");
    /** A client that connects and says nothing is dropped after this long. */
    private static final int READ_TIMEOUT_MILLIS = 5_000;
    private static final int MAX_REQUEST = 256;

    /** What the agent does for one command; {@code peerUid} is the kernel's word for who asks. */
    @FunctionalInterface
    public interface Commands {
        Reply handle(String command, int peerUid);
    }

    /** One answer: {@code ok} and a body (JSON or text), or a refusal with its reason. */
    public record Reply(boolean ok, String body) {
        public static Reply ok(String body) {
            return new Reply(true, body);
        }

        public static Reply refused(String reason) {
            return new Reply(false, reason);
        }

        String wire() {
            return ok ? "OK\n" + body + (body.endsWith("\n") || body.isEmpty() ? "" : "\n")
                    : "ERR " + body.replace('\n', ' ') + "\n";
        }
    }

    private final Path path;
    private final UnixServerSocketChannel server;
    private final Commands commands;
    private final Thread acceptor;
    // two: a reload that takes a while does not keep a status read waiting
    private final ExecutorService handlers = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "admin-socket-request");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    private AdminSocket(Path path, UnixServerSocketChannel server, Commands commands) {
        this.path = path;
        this.server = server;
        this.commands = commands;
        this.acceptor = new Thread(this::acceptLoop, "admin-socket");
        this.acceptor.setDaemon(true);
    }

    /**
     * Binds {@code path} (its directory is created 0755 when missing; a stale socket left by a crash is replaced, one
     * that answers means another agent runs and is an error) and starts accepting.
     */
    public static AdminSocket open(Path path, Commands commands) throws IOException {
        Path dir = path.toAbsolutePath().getParent();
        if (dir != null && !Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        }
        if (Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            if (answers(path)) {
                throw new IOException(path + " is in use: is another agent running?");
            }
            Files.delete(path);
        }
        UnixServerSocketChannel server = UnixServerSocketChannel.open();
        try {
            server.socket().bind(new UnixSocketAddress(path.toFile()));
            // the window between bind and chmod is closed by the peer-credential check on every state change
            Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException | RuntimeException e) {
            server.close();
            throw e;
        }
        AdminSocket s = new AdminSocket(path, server, commands);
        s.acceptor.start();
        LOG.info("admin socket {} (mode 0600)", path);
        return s;
    }

    private static boolean answers(Path path) {
        try (UnixSocketChannel c = UnixSocketChannel.open(new UnixSocketAddress(path.toFile()))) {
            return c.isConnected();
        } catch (IOException e) {
            return false;
        }
    }

    public Path path() {
        return path;
    }

    private void acceptLoop() {
        while (!closed) {
            UnixSocketChannel c;
            try {
                c = server.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.warn("admin socket accept failed: {}", e.getMessage());
                    pause();
                }
                continue;
            }
            if (c == null) {
                continue;
            }
            if (closed) {
                closeQuietly(c);
                break;
            }
            try {
                handlers.execute(() -> serve(c));
            } catch (RejectedExecutionException e) {
                closeQuietly(c);
            }
        }
    }

    private void serve(UnixSocketChannel c) {
        try (c) {
            c.setOption(UnixSocketOptions.SO_RCVTIMEO, READ_TIMEOUT_MILLIS);
            Credentials peer = c.getOption(UnixSocketOptions.SO_PEERCRED);
            String command = readLine(c);
            Reply reply;
            try {
                reply = commands.handle(command, peer.getUid());
            } catch (RuntimeException e) {
                reply = Reply.refused(command + " failed: " + e.getMessage());
            }
            if (!reply.ok()) {
                LOG.info("admin socket: '{}' from uid {} pid {}: {}", command, peer.getUid(), peer.getPid(), reply.body());
            }
            ByteBuffer out = ByteBuffer.wrap(reply.wire().getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                c.write(out);
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("admin socket request dropped: {}", e.toString());
        }
    }

    /** The request line, without its newline; at most {@link #MAX_REQUEST} bytes. */
    private static String readLine(UnixSocketChannel c) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(MAX_REQUEST);
        while (line.size() < MAX_REQUEST) {
            b.clear();
            int n = c.read(b);
            if (n <= 0) {
                break;
            }
            for (int i = 0; i < n; i++) {
                byte x = b.get(i);
                if (x == '\n') {
                    return line.toString(StandardCharsets.UTF_8).strip();
                }
                line.write(x);
            }
        }
        return line.toString(StandardCharsets.UTF_8).strip();
    }

    private static void pause() {
        try {
            Thread.sleep(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(UnixSocketChannel c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // nothing to do: the client went away
        }
    }

    /** Stops accepting, removes the socket file. */
    @Override
    public void close() {
        closed = true;
        // a thread blocked in accept(2) is not woken by close(2) on Linux: a connection of our own wakes it
        answers(path);
        try {
            server.close();
        } catch (IOException e) {
            LOG.debug("admin socket close: {}", e.toString());
        }
        handlers.shutdownNow();
        try {
            acceptor.join(1000);
            Files.deleteIfExists(path);
        } catch (IOException e) {
            LOG.warn("could not remove admin socket {}: {}", path, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
