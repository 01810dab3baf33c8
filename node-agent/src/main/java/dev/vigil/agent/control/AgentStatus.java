package dev.vigil.agent.control;

import java.util.List;
import java.util.Map;

/**
 * The whole agent at one instant, for {@code vigilctl status}, the admin socket's {@code status} and {@code stats}
 * and the signal dumps.
 *
 * @param configFile  the file the running configuration came from
 * @param configSha256 its digest when it was (re)loaded: the audit trail's {@code ConfigLoaded} names the same
 * @param loadedAt    when the running configuration was loaded (UTC, ISO-8601)
 * @param reloads     successful reloads since start; {@code refusedReloads} counts the refused ones
 * @param checks      {@code vrrp_script} and {@code vrrp_track_file} checks ("script NAME" / "file NAME") and status
 * @param reporting   the outbox and the coordinator link
 */
public record AgentStatus(String agentId, long pid, String configFile, String configSha256, String loadedAt,
                          long reloads, long refusedReloads, List<InstanceStatus> instances,
                          Map<String, String> checks, ReportingStatus reporting) {
    public AgentStatus {
        instances = List.copyOf(instances);
        checks = Map.copyOf(checks);
        reporting = reporting == null ? ReportingStatus.UNKNOWN : reporting; // JSON from an agent without the field
    }

    public AgentStatus(String agentId, long pid, String configFile, String configSha256, String loadedAt,
                       long reloads, long refusedReloads, List<InstanceStatus> instances, Map<String, String> checks) {
        this(agentId, pid, configFile, configSha256, loadedAt, reloads, refusedReloads, instances, checks,
                ReportingStatus.UNKNOWN);
    }
}
