package dev.vigil.agent.config;

import java.util.OptionalLong;

/**
 * A {@code vrrp_track_file} (or {@code track_file}) block: a file holding a number.
 *
 * @param initValue  {@code init_file [N]}: create the file with N (default 0) if it is missing
 * @param initOverwrite {@code init_file N overwrite}: write N at start even if the file exists
 */
public record TrackFile(String name, String path, int weight, boolean weightReverse,
                        OptionalLong initValue, boolean initOverwrite) {}
