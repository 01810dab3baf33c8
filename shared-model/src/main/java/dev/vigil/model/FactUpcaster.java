package dev.vigil.model;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Rewrites the JSON of one fact type from schema version {@link #fromVersion()} to the next one.
 * The codec chains upcasters, so an envelope written under version 1 is read by a version-3
 * coordinator through 1→2 and 2→3. Types that did not change in a version need none.
 */
public interface FactUpcaster {
    String factType();

    int fromVersion();

    /** Returns the fact's JSON in the shape of {@code fromVersion() + 1}; may modify its argument. */
    ObjectNode upcast(ObjectNode fact);
}
