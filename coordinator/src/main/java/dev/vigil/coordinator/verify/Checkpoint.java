package dev.vigil.coordinator.verify;

import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The heads of every agent's stream at one instant. Its text form (signed by {@link SignedCheckpoint}):
 * <pre>
 * vigil-checkpoint/v1
 * 2026-11-25T21:20:48.123456Z
 * db1 12 3f5a...64 hex
 * db2 4 9c0e...
 * </pre>
 * one line per agent, sorted by agent id: id, stream length, hash of the last event.
 */
public record Checkpoint(Instant time, SortedMap<String, Head> heads) {
    public static final String ORIGIN = "vigil-checkpoint/v1";

    public Checkpoint {
        heads = Collections.unmodifiableSortedMap(new TreeMap<>(heads));
    }

    public record Head(long length, String hash) {
    }

    public String body() {
        StringBuilder b = new StringBuilder(ORIGIN).append('\n').append(time).append('\n');
        heads.forEach((agent, h) -> b.append(agent).append(' ').append(h.length()).append(' ').append(h.hash()).append('\n'));
        return b.toString();
    }

    public static Checkpoint parseBody(String body) {
        String[] lines = body.split("\n");
        if (lines.length < 2 || !lines[0].equals(ORIGIN)) {
            throw new IllegalArgumentException("not a " + ORIGIN + " checkpoint");
        }
        Map<String, Head> heads = new TreeMap<>();
        for (int i = 2; i < lines.length; i++) {
            String[] f = lines[i].split(" ");
            if (f.length != 3 || !f[2].matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("checkpoint line " + (i + 1) + ": expected 'agent length hash'");
            }
            heads.put(f[0], new Head(Long.parseLong(f[1]), f[2]));
        }
        return new Checkpoint(Instant.parse(lines[1]), new TreeMap<>(heads));
    }
}
