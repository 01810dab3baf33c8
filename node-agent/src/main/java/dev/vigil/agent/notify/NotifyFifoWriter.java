package dev.vigil.agent.notify;

import dev.vigil.agent.check.Posix;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code notify_fifo} / {@code vrrp_notify_fifo}: created (mode 0600) if missing, opened {@code O_RDWR|O_NONBLOCK}
 * as keepalived opens it, so opening never waits for a reader and a write never blocks: while no reader drains the
 * pipe, lines accumulate in the kernel's buffer (64 kB); once it is full a line is dropped and counted. Lines are
 * shorter than PIPE_BUF, so each is written whole or not at all. Not thread-safe: {@link NotifyRunner} writes from one
 * thread.
 */
public final class NotifyFifoWriter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(NotifyFifoWriter.class);

    private final Path path;
    private final int fd;
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong written = new AtomicLong();

    private NotifyFifoWriter(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /** Creates the FIFO if needed and opens it; a path that exists and is not a FIFO is refused with a clear error. */
    public static NotifyFifoWriter open(Path path) throws IOException {
        if (Files.exists(path)) {
            Map<String, Object> attributes = Files.readAttributes(path, "unix:mode");
            int type = (Integer) attributes.get("mode") & 0170000;
            if (type != 0010000) {
                throw new IOException("notify_fifo " + path + " exists and is not a FIFO");
            }
        } else if (Posix.libc().mkfifo(path.toString(), 0600) != 0) {
            int errno = Posix.errno();
            throw new IOException("notify_fifo " + path + ": cannot create FIFO: " + Posix.libc().strerror(errno));
        }
        int fd = Posix.libc().open(path.toString(), Posix.O_RDWR | Posix.O_NONBLOCK | Posix.O_CLOEXEC);
        if (fd < 0) {
            int errno = Posix.errno();
            throw new IOException("notify_fifo " + path + ": cannot open: " + Posix.libc().strerror(errno));
        }
        return new NotifyFifoWriter(path, fd);
    }

    public Path path() {
        return path;
    }

    /** Writes one line; false (and counted) when the pipe is full or the write failed. */
    public boolean write(String line) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        long n = Posix.libc().write(fd, bytes, bytes.length);
        if (n == bytes.length) {
            written.incrementAndGet();
            return true;
        }
        long total = dropped.incrementAndGet();
        int errno = n < 0 ? Posix.errno() : 0;
        if (errno != Posix.EAGAIN) {
            LOG.warn("notify_fifo {}: write failed ({}): line dropped", path,
                    n < 0 ? Posix.libc().strerror(errno) : "short write of " + n + " bytes");
        } else if (Long.bitCount(total) == 1) {
            // 1st, 2nd, 4th, 8th... drop: a stuck reader is visible without flooding the log.
            LOG.warn("notify_fifo {}: no reader and the pipe is full: {} line(s) dropped so far", path, total);
        }
        return false;
    }

    public long droppedLines() {
        return dropped.get();
    }

    public long writtenLines() {
        return written.get();
    }

    @Override
    public void close() {
        Posix.libc().close(fd);
    }
}
