package dev.vigil.agent.check;

import dev.vigil.agent.config.TrackFile;
import dev.vigil.agent.config.TrackedFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code vrrp_track_file}: reads the number in the file every {@code poll} (keepalived reacts to inotify events;
 * polling at 1 s costs one small read per second and also sees changes made through bind mounts and NFS, which inotify
 * misses) and tells the listener when the value changed. What the value does to an instance is
 * {@link #effect(TrackedFile)} ({@link TrackFileValue}'s rules). A missing or unreadable file reads 0, as in
 * keepalived. The listener runs on the scheduler's thread.
 */
public final class TrackFileWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TrackFileWatcher.class);

    /** The file's value changed (values after clamping to -254..254). */
    public record Change(String name, long from, long to) {}

    private final TrackFile file;
    private final Duration poll;
    private final ScheduledExecutorService scheduler;
    private final Consumer<Change> onChange;
    private volatile long value;
    private volatile ScheduledFuture<?> task;

    public TrackFileWatcher(TrackFile file, Duration poll, ScheduledExecutorService scheduler,
                            Consumer<Change> onChange) {
        this.file = file;
        this.poll = poll;
        this.scheduler = scheduler;
        this.onChange = onChange;
    }

    /**
     * Applies {@code init_file} (creates the file with its value when missing, or always with {@code overwrite}),
     * reads the value at once (no change reported for the first read, as keepalived), then polls.
     */
    public void start() {
        Path path = Path.of(file.path());
        if (file.initValue().isPresent() && (file.initOverwrite() || !Files.exists(path))) {
            try {
                Files.writeString(path, file.initValue().getAsLong() + "\n", StandardCharsets.US_ASCII);
            } catch (IOException e) {
                LOG.warn("track file {}: cannot write init_file value to {}: {}", file.name(), path, e.toString());
            }
        }
        value = read(path);
        task = scheduler.scheduleWithFixedDelay(this::poll, poll.toNanos(), poll.toNanos(), TimeUnit.NANOSECONDS);
    }

    public String name() {
        return file.name();
    }

    /** The last value read (clamped to -254..254). */
    public long value() {
        return value;
    }

    /** What the current value does to an instance tracking this file with the given weight. */
    public TrackFileValue.Effect effect(TrackedFile tracking) {
        return TrackFileValue.effect(value, tracking.weight(), tracking.reverse());
    }

    private void poll() {
        try {
            long next = read(Path.of(file.path()));
            long previous = value;
            if (next != previous) {
                value = next;
                onChange.accept(new Change(file.name(), previous, next));
            }
        } catch (RuntimeException e) {
            // A failing listener must not cancel the periodic task.
            LOG.warn("track file {}: {}", file.name(), e.toString());
        }
    }

    static long read(Path path) {
        if (!Files.isRegularFile(path)) {
            return 0; // missing; or a FIFO or device, whose open could block
        }
        try (InputStream in = Files.newInputStream(path)) {
            return TrackFileValue.parse(new String(in.readNBytes(127), StandardCharsets.US_ASCII));
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public void close() {
        ScheduledFuture<?> t = task;
        if (t != null) {
            t.cancel(false);
        }
    }
}
