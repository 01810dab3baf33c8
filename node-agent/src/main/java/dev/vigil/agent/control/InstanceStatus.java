package dev.vigil.agent.control;

import java.util.List;
import java.util.Map;

/**
 * One {@code vrrp_instance} as the admin socket, {@code vigilctl status} and the SIGUSR1/SIGUSR2 dumps show it:
 * keepalived's state dump and statistics fields. Text fields are empty rather than absent ({@code master} when no
 * master is known).
 *
 * @param state             INIT, BACKUP, MASTER or FAULT
 * @param master            address of the current master as this router last heard it; itself when MASTER
 * @param masterPriority    priority of that master's adverts
 * @param vips              the configured {@code virtual_ipaddress} list (held while MASTER)
 * @param trackers          the router's trackers by name, with their state ("ok", "failed", or a weight)
 * @param drops             adverts discarded by this router, by reason
 */
public record InstanceStatus(String name, String state, String interfaceName, int vrid, String family, int version,
                             int basePriority, int effectivePriority, int advertIntervalCentis, String master,
                             int masterPriority, List<String> vips, boolean unicast, long advertsReceived,
                             long advertsSent, long becameMaster, long releasedMaster, long priorityZeroReceived,
                             long priorityZeroSent, Map<String, Long> drops) {
    public InstanceStatus {
        vips = List.copyOf(vips);
        drops = Map.copyOf(drops);
    }
}
