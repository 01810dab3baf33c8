package dev.vigil.agent.config;

import java.util.List;

/**
 * A {@code vrrp_sync_group}: member instances move together; a fault in one faults the group.
 *
 * @param trackingWeight keepalived's {@code sync_group_tracking_weight}: members' tracker weights count
 *                       (otherwise they must be 0)
 */
public record SyncGroup(String name, List<String> members, List<TrackedInterface> trackInterfaces,
                        List<TrackedScript> trackScripts, List<TrackedFile> trackFiles, NotifyScripts notifyScripts,
                        boolean smtpAlert, boolean globalTracking, boolean trackingWeight) {
    public SyncGroup {
        members = List.copyOf(members);
        trackInterfaces = List.copyOf(trackInterfaces);
        trackScripts = List.copyOf(trackScripts);
        trackFiles = List.copyOf(trackFiles);
    }
}
