package dev.vigil.coordinator.store;

import dev.vigil.coordinator.domain.AgentStream;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The loaded {@link AgentStream}s, least recently used evicted beyond {@code capacity}: an append then
 * skips loading the snapshot and the events after it. {@link AuditStore} puts a stream only after its
 * batch committed and removes it on any failure. A stale entry (another coordinator appended) is caught
 * by the UNIQUE constraints of the ledger or the event table, rolled back, evicted and retried on a
 * fresh load.
 */
final class StreamCache {
    private final Map<String, AgentStream> entries;

    StreamCache(int capacity) {
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, AgentStream> eldest) {
                return size() > capacity;
            }
        };
    }

    synchronized Optional<AgentStream> get(String agentId) {
        return Optional.ofNullable(entries.get(agentId));
    }

    synchronized void put(String agentId, AgentStream stream) {
        entries.put(agentId, stream);
    }

    synchronized void remove(String agentId) {
        entries.remove(agentId);
    }

    synchronized int size() {
        return entries.size();
    }
}
