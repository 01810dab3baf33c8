package dev.vigil.agent.report;

import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.FactType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import java.util.stream.Stream;

/**
 * The agent's durable outbox: numbered segment files of {@link RecordFrame}s under
 * {@code <state_dir>/outbox}, plus an {@code acked} cursor naming the position up to which the
 * coordinator confirmed storage.
 *
 * <p>{@link #record} only stamps the fact's times and enqueues it: it never touches the disk, so it
 * is safe on an event loop and in the failover path. One writer thread assigns the identity (this
 * boot's id, seq from 1), thins when the outbox is full, appends the whole queue in one write and
 * fsyncs it (group commit), then publishes the new durable end. The shipper reads only up to that
 * end, so nothing is ever sent that a crash could take back.
 *
 * <p>At open, every segment is scanned; a torn or damaged record and whatever follows it in its
 * segment are cut off (logged), and a new segment is started for the new boot, so facts of older
 * boots still on disk are shipped with their own boot id and seqs.
 */
final class Outbox implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Outbox.class);
    private static final String SUFFIX = ".seg";
    private static final int QUEUE_SOFT_LIMIT = 100_000;
    /**
     * Once no fact came for {@link #QUIET_AFTER_NANOS} the writer dozes: it parks up to this long and the next
     * record() wakes it (the only record() that makes a syscall). Polling every few ms while idle cost an idle
     * agent 0.5 % of a core (250 wake-ups/s).
     */
    private static final long DOZE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long QUIET_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /** A tally of drops is recorded at the latest this long after its first drop. */
    private static final long THINNING_REPORT_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** A place in the outbox: a segment and a byte offset inside it. */
    record Position(long segment, long offset) implements Comparable<Position> {
        @Override
        public int compareTo(Position o) {
            int c = Long.compare(segment, o.segment);
            return c != 0 ? c : Long.compare(offset, o.offset);
        }
    }

    /** A durable record as read back for shipping, with the position just past it. */
    record Stored(RecordFrame frame, Position end) {
    }

    /** Who is writing: the envelope fields that are the same for every fact of this boot. */
    record Identity(String agentId, String bootId, Optional<String> cluster) {
    }

    private record Pending(AgentFact fact, Instant time, long monotonicNanos) {
    }


    private final Path dir;
    private final long limitBytes;
    private final long segmentBytes;
    private final Identity identity;
    private final Clock clock;
    private final LongSupplier monotonic;
    private final EnvelopeCodec codec = EnvelopeCodec.standard();
    /** Lock-free and never signalled: waking the writer from record() would cost the caller a syscall. */
    private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final ConcurrentHashMap<String, Long> droppedBeforeQueue = new ConcurrentHashMap<>();
    private final ThinningPolicy policy = new ThinningPolicy();
    private final ThinningPolicy.Tally tally = new ThinningPolicy.Tally();
    private final AtomicLong liveBytes = new AtomicLong();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition grown = lock.newCondition();
    private final Thread writer;
    /** Writer poll while facts flow: each wake-up writes all that is queued with one fsync (Batching.commitEveryMillis). */
    private final long commitEveryNanos;
    /** Reused for every batch: a 64 KiB allocation per commit was the writer's top allocation. */
    private ByteBuffer scratch = ByteBuffer.allocate(64 << 10);

    private volatile Position durableEnd;
    private volatile Position acked;
    private Position cursorWritten = new Position(0, 0);
    private long cursorWrittenAt = System.nanoTime();
    private volatile boolean closing;
    /** The writer is parked for long (idle): the next record() unparks it. */
    private volatile boolean dozing;
    private volatile long lastSeq;
    private long nextSeq = 1;
    private long activeSegment;
    private FileChannel active;
    private long activeSize;

    private Outbox(Path dir, long limitBytes, Identity identity, Clock clock, LongSupplier monotonic,
                   long commitEveryMillis) {
        this.dir = dir;
        this.commitEveryNanos = TimeUnit.MILLISECONDS.toNanos(commitEveryMillis);
        this.limitBytes = limitBytes;
        this.segmentBytes = Math.max(64 << 10, Math.min(8 << 20, limitBytes / 16));
        this.identity = identity;
        this.clock = clock;
        this.monotonic = monotonic;
        this.writer = new Thread(this::writeLoop, "vigil-outbox-writer");
        this.writer.setDaemon(true);
    }

    /** Recovers what is on disk under {@code dir} and starts the writer thread. */
    static Outbox open(Path dir, long limitBytes, Identity identity, Clock clock, LongSupplier monotonic)
            throws IOException {
        return open(dir, limitBytes, identity, clock, monotonic, 1);
    }

    /** As above, committing every {@code commitEveryMillis} while facts flow. */
    static Outbox open(Path dir, long limitBytes, Identity identity, Clock clock, LongSupplier monotonic,
                       long commitEveryMillis) throws IOException {
        if (limitBytes < 64 << 10) {
            throw new IllegalArgumentException("outbox size must be at least 64 KiB, was " + limitBytes + " bytes");
        }
        Outbox o = new Outbox(dir, limitBytes, identity, clock, monotonic, commitEveryMillis);
        o.recover();
        o.writer.start();
        return o;
    }

    /** Stamps and enqueues a fact; never blocks on disk (callable from an event loop). */
    void record(AgentFact fact) {
        Pending p = new Pending(fact, clock.instant(), monotonic.getAsLong());
        if (closing) {
            LOG.warn("outbox closed: fact not recorded: {}", fact);
            return;
        }
        // A stalled disk must not grow the heap without bound; essential facts still queue.
        if (queued.get() >= QUEUE_SOFT_LIMIT && new ThinningPolicy().worth(fact) != ThinningPolicy.Worth.ESSENTIAL) {
            droppedBeforeQueue.merge(FactType.nameOf(fact), 1L, Long::sum);
            return;
        }
        queued.incrementAndGet();
        queue.add(p);
        if (dozing) {
            // the first fact after a quiet spell: wake the writer now rather than up to a second later
            dozing = false;
            LockSupport.unpark(writer);
        }
    }

    Identity identity() {
        return identity;
    }

    /** The seq given to the last fact written (0 before the first). */
    long lastSeq() {
        return lastSeq;
    }

    long usedBytes() {
        return liveBytes.get();
    }

    Position durableEnd() {
        return durableEnd;
    }

    Position acked() {
        return acked;
    }

    /** True when every durable record has been acknowledged (nothing left to ship). */
    boolean fullyAcknowledged() throws IOException {
        return read(acked, 1, 1).isEmpty();
    }

    /** Waits until something beyond {@code from} is durable, or the timeout passes. */
    boolean awaitBeyond(Position from, long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        lock.lock();
        try {
            while (durableEnd.compareTo(from) <= 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || closing && !writer.isAlive()) {
                    return false;
                }
                grown.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Up to {@code maxRecords} durable records (at most about {@code maxBytes} of JSON) after
     * {@code from}, in order. A record the writer has not yet made durable is never returned.
     */
    List<Stored> read(Position from, int maxRecords, int maxBytes) throws IOException {
        List<Stored> out = new ArrayList<>();
        Position end = durableEnd;
        Position at = from;
        int bytes = 0;
        while (out.size() < maxRecords && bytes < maxBytes && at.compareTo(end) < 0) {
            Path file = segmentFile(at.segment());
            long size = at.segment() == end.segment() ? end.offset() : sizeOrMinusOne(file);
            if (size < 0 || at.offset() >= size) {
                Optional<Long> next = nextSegmentAfter(at.segment(), end.segment());
                if (next.isEmpty()) {
                    break;
                }
                at = new Position(next.get(), 0);
                continue;
            }
            int window = (int) Math.min(size - at.offset(), (long) maxBytes + RecordFrame.MAX_PAYLOAD + 64);
            byte[] buf = new byte[window];
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ByteBuffer b = ByteBuffer.wrap(buf);
                while (b.hasRemaining() && ch.read(b, at.offset() + b.position()) > 0) {
                    // read the whole window
                }
                window = b.position();
            }
            RecordFrame.Scan scan = RecordFrame.scan(buf, window);
            boolean cutByWindow = at.offset() + window < size;
            if (scan.records().isEmpty() && !cutByWindow) {
                // Only damage after recovery (a disk error) gets here: skip the rest of this segment.
                LOG.error("outbox segment {}: {}; skipping the rest of it", file, scan.stopReason());
                at = new Position(at.segment(), size);
                continue;
            }
            long base = at.offset();
            for (RecordFrame.Located r : scan.records()) {
                if (out.size() >= maxRecords || bytes >= maxBytes) {
                    break;
                }
                at = new Position(at.segment(), base + r.end());
                out.add(new Stored(r.frame(), at));
                bytes += r.frame().json().length;
            }
        }
        return out;
    }

    /**
     * The coordinator stored everything up to {@code upTo}. The cursor file is rewritten at most once
     * a second, and whenever whole segments can go: a lost cursor only costs duplicates, which the
     * coordinator recognises, while a write per batch costs a file, a rename and an fsync.
     */
    void acknowledge(Position upTo) throws IOException {
        if (upTo.compareTo(acked) <= 0) {
            return;
        }
        Position before = acked;
        acked = upTo;
        long current = durableEnd.segment();
        List<Long> done = new ArrayList<>();
        // Only crossing into another segment can make one deletable: no directory listing per batch.
        for (long id : upTo.segment() == before.segment() ? new TreeSet<Long>() : segmentIds()) {
            boolean fullyAcked = id < upTo.segment()
                    || id == upTo.segment() && upTo.offset() >= sizeOrMinusOne(segmentFile(id));
            if (fullyAcked && id != current) {
                done.add(id);
            }
        }
        if (done.isEmpty() && System.nanoTime() - cursorWrittenAt < TimeUnit.SECONDS.toNanos(1)) {
            return;
        }
        persistAcknowledged();
        for (long id : done) {
            long size = Math.max(0, sizeOrMinusOne(segmentFile(id)));
            Files.deleteIfExists(segmentFile(id));
            liveBytes.addAndGet(-size);
        }
    }

    /**
     * Where the record {@code (bootId, seq)} starts, if it is still on disk: the coordinator lost facts
     * it had acknowledged (a store that acknowledges before it is durable) and they must be resent.
     */
    Optional<Position> positionBefore(String bootId, long seq) throws IOException {
        Position at = new Position(0, 0);
        while (true) {
            List<Stored> batch = read(at, 1000, 1 << 20);
            if (batch.isEmpty()) {
                return Optional.empty();
            }
            for (Stored s : batch) {
                if (s.frame().seq() == seq && s.frame().bootId().equals(bootId)) {
                    return Optional.of(at);
                }
                at = s.end();
            }
        }
    }

    /** Moves the acknowledgement back (see {@link #positionBefore}); saved with the next acknowledgement. */
    void rewind(Position to) {
        if (to.compareTo(acked) < 0) {
            acked = to;
        }
    }

    /** Writes the acknowledgement cursor now (atomically: a temp file renamed over the old one). */
    void persistAcknowledged() throws IOException {
        Position upTo = acked;
        if (upTo.equals(cursorWritten)) {
            return;
        }
        Path tmp = dir.resolve("acked.tmp");
        Files.writeString(tmp, upTo.segment() + " " + upTo.offset() + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, dir.resolve("acked"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        cursorWritten = upTo;
        cursorWrittenAt = System.nanoTime();
    }

    /**
     * Stops taking facts, writes and fsyncs everything already recorded (and a pending thinning
     * fact), then stops the writer. Waits at most {@code timeoutMillis}.
     */
    void close(long timeoutMillis) {
        closing = true;
        LockSupport.unpark(writer);
        try {
            writer.join(timeoutMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lock.lock();
        try {
            grown.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        close(5_000);
    }

    // ---- writer thread -------------------------------------------------------------------------

    /**
     * Group commit by time: every commit interval (Batching.commitEveryMillis) while facts flow, take
     * everything queued, write it in one go, fsync, publish. A fact waits at most one interval plus one
     * fsync. Polling instead of being woken keeps record() free of syscalls while facts flow; after
     * 100 ms without any the writer dozes and the next record() unparks it (one syscall per quiet spell).
     */
    private void writeLoop() {
        List<Pending> batch = new ArrayList<>();
        long lastFact = System.nanoTime();
        while (true) {
            boolean last = closing;
            for (Pending p; (p = queue.poll()) != null; ) {
                queued.decrementAndGet();
                batch.add(p);
            }
            long now = System.nanoTime();
            if (!batch.isEmpty()) {
                lastFact = now;
            }
            if (batch.isEmpty() && !last) {
                if (now - lastFact < QUIET_AFTER_NANOS || !tally.isEmpty()) {
                    LockSupport.parkNanos(commitEveryNanos);
                } else {
                    dozing = true;
                    // record() adds, then reads dozing; we set dozing, then read the queue: one of us sees the other
                    if (queue.isEmpty() && !closing) {
                        LockSupport.parkNanos(DOZE_NANOS);
                    }
                    dozing = false;
                }
                Thread.interrupted(); // an interrupt would close the FileChannel on the next write
                if (tally.isEmpty()) {
                    continue;
                }
            }
            try {
                writeBatch(batch, last);
                batch.clear();
            } catch (IOException e) {
                LOG.error("outbox {}: write failed ({}); {} facts kept in memory, retrying", dir, e.toString(), batch.size());
                if (last) {
                    return;
                }
                LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1));
                continue;
            }
            if (last) {
                closeActive();
                return;
            }
            // the next batch gathers for one interval (the loop above parks only when the queue was empty)
            LockSupport.parkNanos(commitEveryNanos);
            Thread.interrupted();
        }
    }

    private void writeBatch(List<Pending> batch, boolean closingNow) throws IOException {
        droppedBeforeQueue.forEach((type, n) -> {
            droppedBeforeQueue.remove(type);
            tally.dropped(type, n, monotonic.getAsLong());
        });
        List<RecordFrame> frames = new ArrayList<>(batch.size() + 1);
        long seq = nextSeq;
        long used = liveBytes.get();
        for (Pending p : batch) {
            ThinningPolicy.Worth worth = policy.worth(p.fact());
            if (!ThinningPolicy.keeps(worth, used, limitBytes)) {
                tally.dropped(p.fact(), p.monotonicNanos());
                continue;
            }
            if (worth == ThinningPolicy.Worth.ESSENTIAL && !tally.isEmpty()) {
                RecordFrame f = frame(seq++, thinned(), clock.instant(), p.monotonicNanos());
                frames.add(f);
                used += f.encodedSize();
            }
            RecordFrame f = frame(seq++, p.fact(), p.time(), p.monotonicNanos());
            frames.add(f);
            used += f.encodedSize();
        }
        long now = monotonic.getAsLong();
        if (!tally.isEmpty() && (closingNow || now - tally.firstDroppedNanos() >= THINNING_REPORT_NANOS)) {
            frames.add(frame(seq++, thinned(), clock.instant(), now));
        }
        if (frames.isEmpty()) {
            return;
        }
        append(frames);
        nextSeq = seq;
        lastSeq = seq - 1;
    }

    private AgentFact.FactsThinned thinned() {
        return tally.drain("outbox " + dir + " at " + (100 * liveBytes.get() / limitBytes) + "% of "
                + limitBytes + " bytes: lower-value facts dropped to keep state and VIP changes");
    }

    private RecordFrame frame(long seq, AgentFact fact, Instant time, long nanos) {
        EventEnvelope e = new EventEnvelope(identity.agentId(), identity.bootId(), seq, time, nanos,
                codec.currentSchema(), identity.cluster(), fact);
        return new RecordFrame(identity.bootId(), seq, codec.encode(e).getBytes(StandardCharsets.UTF_8));
    }

    private void append(List<RecordFrame> frames) throws IOException {
        long before = activeSize;
        try {
            ByteBuffer buf = null;
            for (RecordFrame f : frames) {
                byte[] bytes = f.encode();
                if (activeSize > 0 && activeSize + (buf == null ? 0 : buf.position()) + bytes.length > segmentBytes) {
                    flush(buf);
                    buf = null;
                    roll();
                    before = 0;
                }
                if (buf == null) {
                    buf = scratch.clear();
                }
                if (buf.remaining() < bytes.length) {
                    ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + bytes.length));
                    buf.flip();
                    bigger.put(buf);
                    buf = bigger;
                    if (bigger.capacity() <= 4 << 20) {
                        scratch = bigger;
                    }
                }
                buf.put(bytes);
            }
            flush(buf);
        } catch (IOException e) {
            // Never leave half a batch behind: the retry writes the same frames again.
            active.truncate(before);
            liveBytes.addAndGet(before - activeSize);
            activeSize = before;
            throw e;
        }
    }

    private void flush(ByteBuffer buf) throws IOException {
        if (buf == null || buf.position() == 0) {
            return;
        }
        buf.flip();
        int n = buf.remaining();
        while (buf.hasRemaining()) {
            active.write(buf);
        }
        active.force(false);
        activeSize += n;
        liveBytes.addAndGet(n);
        publish(new Position(activeSegment, activeSize));
    }

    private void publish(Position end) {
        lock.lock();
        try {
            durableEnd = end;
            grown.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void roll() throws IOException {
        active.force(true);
        active.close();
        openSegment(activeSegment + 1);
    }

    private void openSegment(long id) throws IOException {
        activeSegment = id;
        active = FileChannel.open(segmentFile(id), StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        activeSize = 0;
        syncDirectory();
        publish(new Position(id, 0));
    }

    private void closeActive() {
        try {
            active.force(true);
            active.close();
        } catch (IOException e) {
            LOG.warn("outbox {}: closing the segment: {}", dir, e.toString());
        }
    }

    // ---- recovery ------------------------------------------------------------------------------

    private void recover() throws IOException {
        Files.createDirectories(dir);
        Position cursor = readCursor();
        TreeSet<Long> ids = segmentIds();
        long total = 0;
        for (long id : ids) {
            Path file = segmentFile(id);
            if (id < cursor.segment()) {
                Files.deleteIfExists(file); // acknowledged; a crash interrupted its compaction
                continue;
            }
            byte[] bytes = Files.readAllBytes(file);
            RecordFrame.Scan scan = RecordFrame.scan(bytes, bytes.length);
            if (!scan.clean()) {
                LOG.warn("outbox {}: {}; cutting {} bytes (a write torn by a crash)", file, scan.stopReason(),
                        bytes.length - scan.validEnd());
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    ch.truncate(scan.validEnd());
                    ch.force(true);
                }
            }
            total += scan.validEnd();
        }
        liveBytes.set(total);
        // Never reuse the cursor's segment number: its offset would then skip records of the new file.
        long next = Math.max(ids.isEmpty() ? 1 : ids.last() + 1, cursor.segment() + 1);
        acked = cursor.segment() == 0 ? new Position(0, 0) : cursor;
        durableEnd = new Position(next, 0);
        openSegment(next);
    }

    private Position readCursor() throws IOException {
        Path file = dir.resolve("acked");
        if (!Files.exists(file)) {
            return new Position(0, 0);
        }
        String text = Files.readString(file, StandardCharsets.US_ASCII).strip();
        String[] parts = text.split(" ");
        try {
            return new Position(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
        } catch (RuntimeException e) {
            // Only costs duplicates, which the coordinator recognises: resend everything on disk.
            LOG.warn("outbox {}: unreadable acknowledgement cursor '{}'; resending all that is on disk", file, text);
            return new Position(0, 0);
        }
    }

    private TreeSet<Long> segmentIds() throws IOException {
        TreeSet<Long> ids = new TreeSet<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(SUFFIX)).forEach(n -> {
                try {
                    ids.add(Long.parseLong(n.substring(0, n.length() - SUFFIX.length())));
                } catch (NumberFormatException e) {
                    LOG.warn("outbox {}: ignoring foreign file {}", dir, n);
                }
            });
        }
        return ids;
    }

    private Optional<Long> nextSegmentAfter(long id, long upTo) throws IOException {
        Long next = segmentIds().higher(id);
        return next == null || next > upTo ? Optional.empty() : Optional.of(next);
    }

    Path segmentFile(long id) {
        // not String.format: the shipper resolves a segment name on every read, and Formatter showed in its profile
        String digits = Long.toString(id);
        return dir.resolve("0".repeat(Math.max(0, 16 - digits.length())) + digits + SUFFIX);
    }

    private static long sizeOrMinusOne(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return -1;
        }
    }

    private void syncDirectory() {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UncheckedIOException e) {
            LOG.debug("outbox {}: directory fsync not supported: {}", dir, e.toString());
        }
    }

}
