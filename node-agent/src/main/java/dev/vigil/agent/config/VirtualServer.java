package dev.vigil.agent.config;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One {@code virtual_server}, read into what Vigil's TCP proxy does with it.
 *
 * @param name               {@code 192.0.2.100:5432} or {@code group NAME}, for logs and metrics
 * @param listen             the addresses and ports accepted on (one, or every entry of a virtual_server_group)
 * @param delayLoop          how often each checker runs (a checker's own {@code delay_loop} overrides it)
 * @param scheduling         {@code lb_algo}
 * @param persistence        {@code persistence_timeout}: a client address sticks to its server this long after its
 *                           last connection ends
 * @param quorum             the summed weight of healthy servers needed for the pool to serve; below it, sorry
 *                           server or refuse
 * @param quorumUp           run when the pool reaches its quorum
 * @param quorumDown         run when it loses it
 * @param sorryServer        where connections go when the quorum is lost
 * @param realServers        in file order
 * @param alpha              real servers start failed and enter the pool after their checks pass
 */
public record VirtualServer(String name, List<ServiceAddress> listen, Duration delayLoop, Scheduling scheduling,
                            Optional<Duration> persistence, int quorum, int hysteresis,
                            Optional<ScriptCommand> quorumUp, Optional<ScriptCommand> quorumDown,
                            Optional<ServiceAddress> sorryServer, List<RealServer> realServers, SourcePos at,
                            boolean alpha) {
    public VirtualServer {
        listen = List.copyOf(listen);
        realServers = List.copyOf(realServers);
    }

    /** Means the same as {@code other}: equal but for where its blocks sit in the files (a reload keeps it). */
    public boolean sameSettingsAs(VirtualServer other) {
        return withoutPositions().equals(other.withoutPositions());
    }

    private static final SourcePos NOWHERE = new SourcePos("", 0);

    private VirtualServer withoutPositions() {
        List<RealServer> reals = realServers.stream().map(r -> new RealServer(r.address(), r.weight(),
                r.inhibitOnFailure(), r.checks().stream().map(VirtualServer::withoutPosition).toList(), NOWHERE)).toList();
        return new VirtualServer(name, listen, delayLoop, scheduling, persistence, quorum, hysteresis, quorumUp,
                quorumDown, sorryServer, reals, NOWHERE, alpha);
    }

    private static RealServerCheck withoutPosition(RealServerCheck c) {
        if (c instanceof RealServerCheck.Tcp t) {
            return new RealServerCheck.Tcp(t.target(), t.timing(), NOWHERE);
        } else if (c instanceof RealServerCheck.Http h) {
            return new RealServerCheck.Http(h.target(), h.urls(), h.virtualhost(), h.timing(), NOWHERE);
        } else if (c instanceof RealServerCheck.Misc m) {
            return new RealServerCheck.Misc(m.command(), m.timeout(), m.dynamic(), m.timing(), NOWHERE);
        } else {
            RealServerCheck.Pg g = (RealServerCheck.Pg) c;
            return new RealServerCheck.Pg(g.settings(), g.timing(), NOWHERE);
        }
    }
}
