package dev.vigil.agent.vrrp;

import java.util.Map;
import java.util.Optional;

/**
 * What a router believes at one instant: its protocol state, not its counters. Two equal views mean
 * that nothing the protocol cares about changed (the simulator uses this to prove that invalid
 * packets change nothing).
 */
public record RouterView(RouterState state, int effectivePriority, int masterAdverIntervalCentis,
                         Optional<IpAddress> master, int masterPriority, Map<TimerKind, Long> armedTimers) {
}
