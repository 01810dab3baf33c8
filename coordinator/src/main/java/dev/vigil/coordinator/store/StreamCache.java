package dev.vigil.coordinator.store;

import org.axonframework.common.Registration;
import org.axonframework.common.caching.Cache;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The loaded {@code AgentStream}s, least recently used evicted beyond {@code capacity}: an append then
 * skips loading the snapshot and the events after it (the profile's largest avoidable cost once streams
 * are long). Axon removes an entry when its unit of work rolls back; {@link AuditStore} also removes it
 * when the surrounding transaction fails after Axon's unit of work. A stale entry (another coordinator
 * appended) is caught by the UNIQUE (aggregate_identifier, sequence_number) of the append, rolled back,
 * evicted and retried on a fresh load.
 */
final class StreamCache implements Cache {
    private final Map<Object, Object> entries;

    StreamCache(int capacity) {
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Object, Object> eldest) {
                return size() > capacity;
            }
        };
    }

    @Override
    @SuppressWarnings("unchecked")
    public synchronized <K, V> V get(K key) {
        return (V) entries.get(key);
    }

    @Override
    public synchronized void put(Object key, Object value) {
        entries.put(key, value);
    }

    @Override
    public synchronized boolean putIfAbsent(Object key, Object value) {
        return entries.putIfAbsent(key, value) == null;
    }

    @Override
    public synchronized boolean remove(Object key) {
        return entries.remove(key) != null;
    }

    @Override
    public synchronized void removeAll() {
        entries.clear();
    }

    @Override
    public synchronized boolean containsKey(Object key) {
        return entries.containsKey(key);
    }

    synchronized int size() {
        return entries.size();
    }

    @Override
    public Registration registerCacheEntryListener(EntryListener listener) {
        // Nothing listens to aggregate cache events here.
        return () -> true;
    }
}
