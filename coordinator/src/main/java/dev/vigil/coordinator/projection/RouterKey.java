package dev.vigil.coordinator.projection;

import dev.vigil.model.AddressFamily;

/** A virtual router as reviewers see it: across agents, by cluster, VRID and family. */
public record RouterKey(String cluster, int vrid, AddressFamily family) {
    /** The cluster name of agents that configure none. */
    public static final String NO_CLUSTER = "-";

    @Override
    public String toString() {
        return cluster + "/" + vrid + "/" + family;
    }
}
