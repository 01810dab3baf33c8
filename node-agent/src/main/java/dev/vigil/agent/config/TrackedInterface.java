package dev.vigil.agent.config;

/**
 * A {@code track_interface} entry. Weight 0: the interface going down puts the instance in FAULT.
 * Otherwise the weight is added to (positive, while up) or taken from (negative, while down) the
 * priority; {@code reverse} swaps up and down.
 */
public record TrackedInterface(String name, int weight, boolean reverse) {}
