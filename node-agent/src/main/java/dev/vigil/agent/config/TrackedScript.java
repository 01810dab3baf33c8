package dev.vigil.agent.config;

/**
 * A {@code track_script} entry naming a {@link VrrpScript}, with the weight that applies here: the one
 * written on the entry, else the script's own. Weight 0: failure means FAULT.
 */
public record TrackedScript(String name, int weight, boolean reverse) {}
