package dev.vigil.model;

import java.util.Objects;

/**
 * One virtual router as an agent knows it: the keepalived instance name, its VRID and family.
 * Reviewers group by (cluster, vrid, family); the instance name is what the operator wrote.
 */
public record RouterRef(String instance, int vrid, AddressFamily family) {
    public RouterRef {
        Objects.requireNonNull(instance, "instance");
        Objects.requireNonNull(family, "family");
        if (vrid < 1 || vrid > 255) {
            throw new IllegalArgumentException("vrid must be 1..255, was " + vrid);
        }
    }
}
