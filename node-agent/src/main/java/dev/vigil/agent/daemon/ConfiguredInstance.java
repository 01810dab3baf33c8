package dev.vigil.agent.daemon;

import dev.vigil.agent.config.AddressFamily;
import dev.vigil.agent.config.GlobalDefs;
import dev.vigil.agent.config.VrrpInstance;
import dev.vigil.agent.net.AddressScope;
import dev.vigil.agent.net.IpFamily;
import dev.vigil.agent.net.VirtualAddress;
import dev.vigil.agent.net.VrrpSocketSpec;
import dev.vigil.agent.vrrp.Authentication;
import dev.vigil.agent.vrrp.IpAddress;
import dev.vigil.agent.vrrp.RouterConfig;
import dev.vigil.agent.vrrp.TrackerSpec;
import dev.vigil.agent.vrrp.V3Ipv4Checksum;
import dev.vigil.agent.vrrp.VrrpVersion;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.LinkedHashMap;

/**
 * One {@code vrrp_instance} resolved for this host: the router's configuration, the socket its adverts use and
 * the VIPs with keepalived's address options, keyed by the address the router names them by.
 *
 * @param interfaceName  the VRRP interface
 * @param socket         the raw socket it shares with the other instances of that interface, family and source
 * @param vips           every {@code virtual_ipaddress} as rtnetlink adds it, in configuration order
 * @param garpInterval   spacing of announcement rounds on one interface ({@code garp_interval}/{@code gna_interval})
 */
public record ConfiguredInstance(VrrpInstance source, RouterConfig router, String interfaceName,
                                 VrrpSocketSpec socket, Map<IpAddress, VirtualAddress> vips, Duration garpInterval) {

    public ConfiguredInstance {
        vips = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(vips));
    }

    public String name() {
        return router.name();
    }

    public List<VirtualAddress> vipsOf(List<IpAddress> addresses) {
        return addresses.stream().map(vips::get).filter(java.util.Objects::nonNull).toList();
    }

    /**
     * Resolves one instance; {@code primaryAddress} looks up the interface's primary address of a family (the
     * source of adverts when neither {@code unicast_src_ip} nor {@code mcast_src_ip} is given).
     *
     * @throws IllegalArgumentException naming the instance and the field when it cannot run on this host
     */
    public static ConfiguredInstance resolve(VrrpInstance i, GlobalDefs global,
                                             BiFunction<String, IpFamily, Optional<InetAddress>> primaryAddress) {
        return resolve(i, global, primaryAddress, Optional.empty());
    }

    /** As above, for a member of the {@code vrrp_sync_group} {@code syncGroup}. */
    public static ConfiguredInstance resolve(VrrpInstance i, GlobalDefs global,
                                             BiFunction<String, IpFamily, Optional<InetAddress>> primaryAddress,
                                             Optional<String> syncGroup) {
        String where = "vrrp_instance " + i.name() + " (" + i.declaredAt() + "): ";
        String ifname = i.interfaceName().orElseThrow(() ->
                new IllegalArgumentException(where + "interface is required by Vigil (also for unicast)"));
        IpFamily family = i.family() == AddressFamily.IPV4 ? IpFamily.IPV4 : IpFamily.IPV6;
        InetAddress src = i.sourceAddress().or(() -> primaryAddress.apply(ifname, family)).orElseThrow(() ->
                new IllegalArgumentException(where + "interface " + ifname + " has no "
                        + (family == IpFamily.IPV4 ? "IPv4 address" : "IPv6 link-local address")
                        + " to send adverts from (set unicast_src_ip or mcast_src_ip)"));
        VrrpSocketSpec spec = i.isUnicast()
                ? VrrpSocketSpec.unicast(ifname, src)
                : new VrrpSocketSpec(ifname, family, Optional.of(i.multicastGroup()), Optional.of(src));

        Map<IpAddress, VirtualAddress> vips = new LinkedHashMap<>();
        for (dev.vigil.agent.config.VirtualAddress v : i.virtualAddresses()) {
            vips.put(IpAddress.of(v.address()), vipOf(v, ifname));
        }
        RouterConfig.Builder b = RouterConfig.builder(i.name(), i.virtualRouterId(), IpAddress.of(src))
                .version(i.version() == 2 ? VrrpVersion.V2 : VrrpVersion.V3)
                .priority(i.priority())
                .advertIntervalCentis(i.advertIntervalCentis())
                .vips(List.copyOf(vips.keySet()))
                .unicastPeers(i.unicastPeers().stream().map(p -> IpAddress.of(p.address())).toList())
                .preempt(i.preempt())
                .preemptDelay(i.preemptDelay())
                .acceptMode(i.accept())
                .auth(i.authentication().map(p -> Authentication.pass(p.password())).orElse(Authentication.NONE))
                .v3Ipv4Checksum(i.v3ChecksumAsV2() ? V3Ipv4Checksum.AS_V2 : V3Ipv4Checksum.WITH_PSEUDO_HEADER)
                .lowerPrioNoAdvert(i.lowerPrioNoAdvert())
                .higherPrioSendAdvert(i.higherPrioSendAdvert())
                .garpMasterRepeat(i.garp().masterRepeat())
                .garpMasterDelay(i.garp().masterDelay())
                .garpLowerPrioRepeat(i.garp().lowerPrioRepeat())
                .checkAdvertAddresses(!i.skipCheckAdvAddr())
                .checkUnicastSource(i.checkUnicastSrc())
                .downTimerAdverts(i.downTimerAdverts())
                .trackers(trackers(i));
        syncGroup.ifPresent(b::syncGroup);
        RouterConfig router;
        try {
            router = b.build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(i.declaredAt() + ": " + e.getMessage(), e);
        }
        Duration spacing = family == IpFamily.IPV4 ? global.garpInterval() : global.gnaInterval();
        return new ConfiguredInstance(i, router, ifname, spec, vips, spacing);
    }

    /**
     * The router's view of {@code track_script} and {@code track_interface}. {@code reverse} is folded in here: the
     * router sees the weight negated and is fed the negated status ({@link #routerOk}), which gives keepalived's
     * effects (weight 0 reverse: OK faults; +W reverse: -W while OK; -W reverse: +W while failed).
     */
    static List<TrackerSpec> trackers(VrrpInstance i) {
        List<TrackerSpec> out = new java.util.ArrayList<>();
        for (var t : i.trackScripts()) {
            out.add(new TrackerSpec(t.name(), t.reverse() ? -t.weight() : t.weight()));
        }
        for (var t : i.trackInterfaces()) {
            out.add(new TrackerSpec(interfaceTracker(t.name()), t.reverse() ? -t.weight() : t.weight()));
        }
        for (var t : i.trackFiles()) {
            // the daemon sets a file's contribution (TrackerContributionChanged) before Start; the weight only
            // tells the router whether it is a FAULT-only tracker
            out.add(new TrackerSpec(fileTracker(t.name()), Math.max(-253, Math.min(253, t.weight()))));
        }
        return out;
    }

    /** The router's name for a tracked interface (kept apart from script names, which may be the same). */
    static String interfaceTracker(String ifname) {
        return "interface " + ifname;
    }

    /** The router's name for a tracked file. */
    static String fileTracker(String name) {
        return "file " + name;
    }

    /** What the router is told for a tracker whose check is {@code ok}, given the entry's {@code reverse}. */
    static boolean routerOk(boolean ok, boolean reverse) {
        return ok != reverse;
    }

    /** keepalived's address options onto rtnetlink's VIP (IPv6: nodad, deprecated unless preferred_lft forever). */
    static VirtualAddress vipOf(dev.vigil.agent.config.VirtualAddress v, String instanceInterface) {
        VirtualAddress out = VirtualAddress.of(v.address(), v.prefixLength(), v.device().orElse(instanceInterface));
        if (v.broadcast().isPresent() && v.broadcast().get() instanceof Inet4Address brd) {
            out = out.withBroadcast(brd);
        }
        if (v.label().isPresent()) {
            out = out.withLabel(v.label().get());
        }
        out = out.withScope(AddressScope.parse(v.scope().name()));
        if (v.preferredForever()) {
            out = out.withPreferredLifetime(VirtualAddress.FOREVER);
        }
        return out;
    }
}
