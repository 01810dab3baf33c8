package dev.vigil.coordinator.store;

import java.security.SecureRandom;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Event identifiers in the layout of a version-7 UUID: the append's millisecond first, then a per-instance
 * random tag and a counter that starts at a random value. Unique like a random UUID (UNIQUE on the column
 * still decides), but a new identifier sorts after the ones before it, so PostgreSQL's B-tree on
 * {@code event_identifier} inserts at its right edge instead of a random leaf page per event, and no
 * {@code SecureRandom} call per event.
 */
final class EventIds {
    private final long tag;
    private final AtomicLong counter;

    EventIds() {
        SecureRandom random = new SecureRandom();
        this.tag = random.nextInt(1 << 12);
        this.counter = new AtomicLong(random.nextLong());
    }

    String next(Instant now) {
        long msb = (now.toEpochMilli() << 16) | 0x7000L | tag;
        long lsb = 0x8000_0000_0000_0000L | (counter.getAndIncrement() & 0x3FFF_FFFF_FFFF_FFFFL);
        return new UUID(msb, lsb).toString();
    }
}
