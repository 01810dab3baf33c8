package dev.vigil.agent.vrrp;

import java.util.Map;

/** keepalived's per-instance statistics (research/keepalived.md §5), as a snapshot. */
public record RouterCounters(long advertsReceived, long advertsSent, long becameMaster, long releasedMaster,
                             long priorityZeroReceived, long priorityZeroSent, Map<DropReason, Long> drops) {
}
