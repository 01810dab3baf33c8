package dev.vigil.agent.config;

import java.util.List;
import java.util.Optional;

/**
 * The whole validated configuration of one agent, immutable. Only {@link KeepalivedConfigParser}
 * builds one, and only from a file without errors.
 */
public record AgentConfig(GlobalDefs global, VigilSettings vigil, List<VrrpInstance> instances,
                          List<VrrpScript> scripts, List<TrackFile> trackFiles, List<SyncGroup> syncGroups,
                          List<VirtualServer> virtualServers) {

    public AgentConfig {
        virtualServers = List.copyOf(virtualServers);
        instances = List.copyOf(instances);
        scripts = List.copyOf(scripts);
        trackFiles = List.copyOf(trackFiles);
        syncGroups = List.copyOf(syncGroups);
    }

    /** The same configuration with other Vigil settings (command-line flags override the {@code vigil { }} block). */
    public AgentConfig withVigil(VigilSettings settings) {
        return new AgentConfig(global, settings, instances, scripts, trackFiles, syncGroups, virtualServers);
    }

    /** A configuration without virtual servers. */
    public AgentConfig(GlobalDefs global, VigilSettings vigil, List<VrrpInstance> instances, List<VrrpScript> scripts,
                       List<TrackFile> trackFiles, List<SyncGroup> syncGroups) {
        this(global, vigil, instances, scripts, trackFiles, syncGroups, List.of());
    }

    public Optional<VrrpInstance> instance(String name) {
        return instances.stream().filter(i -> i.name().equals(name)).findFirst();
    }

    public Optional<VrrpScript> script(String name) {
        return scripts.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    public Optional<TrackFile> trackFile(String name) {
        return trackFiles.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    public Optional<SyncGroup> syncGroup(String name) {
        return syncGroups.stream().filter(s -> s.name().equals(name)).findFirst();
    }
}
