package dev.vigil.agent.config;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Optional;

/**
 * The {@code global_defs} values Vigil acts on, with keepalived 2.2.7's defaults.
 *
 * @param garpInterval / gnaInterval minimum spacing between two GARPs / NAs on one interface (0 = none)
 * @param downTimerAdverts the 3 in Master_Down_Interval = 3 x interval + skew ({@code vrrp_down_timer_adverts})
 * @param vrrpPriority    nice value of the thread that runs the routers ({@code vrrp_priority}, -20..19; 0 = unchanged)
 * @param vrrpRtPriority  SCHED_RR priority of that thread ({@code vrrp_rt_priority}, 1..99; 0 = none, keepalived's
 *                        default); when set, {@code vrrpPriority} is not applied, as in keepalived
 */
public record GlobalDefs(Optional<String> routerId, int vrrpVersion, GarpSettings garp,
                         Duration garpInterval, Duration gnaInterval,
                         boolean lowerPrioNoAdvert, boolean higherPrioSendAdvert,
                         boolean enableScriptSecurity, Optional<ScriptUser> scriptUser, boolean vrrpStrict,
                         Optional<NotifyFifo> notifyFifo, Optional<NotifyFifo> vrrpNotifyFifo,
                         boolean skipCheckAdvAddr, boolean checkUnicastSrc,
                         InetAddress mcastGroup4, InetAddress mcastGroup6, boolean v3ChecksumAsV2,
                         int downTimerAdverts, int vrrpPriority, int vrrpRtPriority) {}
