package dev.vigil.agent.config;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Optional;

/**
 * The {@code global_defs} values Vigil acts on, with keepalived 2.2.7's defaults.
 *
 * @param garpInterval / gnaInterval minimum spacing between two GARPs / NAs on one interface (0 = none)
 * @param downTimerAdverts the 3 in Master_Down_Interval = 3 x interval + skew ({@code vrrp_down_timer_adverts})
 */
public record GlobalDefs(Optional<String> routerId, int vrrpVersion, GarpSettings garp,
                         Duration garpInterval, Duration gnaInterval,
                         boolean lowerPrioNoAdvert, boolean higherPrioSendAdvert,
                         boolean enableScriptSecurity, Optional<ScriptUser> scriptUser, boolean vrrpStrict,
                         Optional<NotifyFifo> notifyFifo, Optional<NotifyFifo> vrrpNotifyFifo,
                         boolean skipCheckAdvAddr, boolean checkUnicastSrc,
                         InetAddress mcastGroup4, InetAddress mcastGroup6, boolean v3ChecksumAsV2,
                         int downTimerAdverts) {}
