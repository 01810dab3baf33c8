package dev.vigil.model;

import java.util.Objects;

/** The identity of an agent event: the coordinator stores each (agent, boot, seq) once. */
public record EventId(String agentId, String bootId, long seq) {
    public EventId {
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(bootId, "bootId");
    }

    @Override
    public String toString() {
        return agentId + "/" + bootId + "/" + seq;
    }
}
