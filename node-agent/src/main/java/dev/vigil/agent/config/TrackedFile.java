package dev.vigil.agent.config;

/**
 * A {@code track_file} entry naming a {@link TrackFile}: the number in the file times the weight is
 * added to the priority; with weight 0 a non-zero number means FAULT.
 */
public record TrackedFile(String name, int weight, boolean reverse) {}
