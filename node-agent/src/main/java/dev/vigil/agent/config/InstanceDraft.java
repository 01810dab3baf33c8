package dev.vigil.agent.config;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A {@code vrrp_instance} block as written, before validation: every value Optional until
 * {@link #build} resolves keepalived's defaults, checks the instance as a whole and either returns
 * the immutable {@link VrrpInstance} or reports why not.
 */
final class InstanceDraft {
    final String name;
    final SourcePos at;
    final String ctx;
    Optional<InitialState> state = Optional.empty();
    Optional<String> iface = Optional.empty();
    OptionalInt vrid = OptionalInt.empty();
    boolean vridGiven;
    OptionalInt priority = OptionalInt.empty();
    Optional<Statement> priorityAt = Optional.empty();
    Optional<Duration> advert = Optional.empty();
    Optional<Statement> advertAt = Optional.empty();
    OptionalInt version = OptionalInt.empty();
    Optional<Statement> versionAt = Optional.empty();
    Optional<Statement> nopreempt = Optional.empty();
    Optional<Duration> preemptDelay = Optional.empty();
    Optional<Statement> preemptDelayAt = Optional.empty();
    Optional<InetAddress> unicastSrc = Optional.empty();
    Optional<InetAddress> mcastSrc = Optional.empty();
    Optional<InetAddress> mcastDst = Optional.empty();
    final List<UnicastPeer> peers = new ArrayList<>();
    final List<VirtualAddress> vips = new ArrayList<>();
    Optional<SourcePos> vipsAt = Optional.empty();
    final List<VirtualAddress> evips = new ArrayList<>();
    Optional<PassAuthentication> auth = Optional.empty();
    Optional<SourcePos> authAt = Optional.empty();
    Optional<Duration> garpMasterDelay = Optional.empty();
    Optional<Integer> garpMasterRepeat = Optional.empty();
    Optional<Duration> garpMasterRefresh = Optional.empty();
    Optional<Integer> garpMasterRefreshRepeat = Optional.empty();
    Optional<Duration> garpLowerPrioDelay = Optional.empty();
    Optional<Integer> garpLowerPrioRepeat = Optional.empty();
    final List<KeepalivedConfigParser.TrackRef> trackIf = new ArrayList<>();
    final List<KeepalivedConfigParser.TrackRef> trackScript = new ArrayList<>();
    final List<KeepalivedConfigParser.TrackRef> trackFile = new ArrayList<>();
    final KeepalivedConfigParser.NotifyDraft notify = new KeepalivedConfigParser.NotifyDraft();
    boolean smtpAlert;
    Optional<Boolean> accept = Optional.empty();
    boolean dontTrackPrimary;
    boolean trackSrcIp;
    Optional<Vmac> vmac = Optional.empty();
    boolean vmacXmitBase;
    Optional<Boolean> v3ChecksumAsV2 = Optional.empty();
    Optional<Boolean> lowerPrioNoAdvert = Optional.empty();
    Optional<Boolean> higherPrioSendAdvert = Optional.empty();
    Optional<Boolean> skipCheckAdvAddr = Optional.empty();
    Optional<Boolean> checkUnicastSrc = Optional.empty();
    boolean strictMode;
    OptionalInt downTimerAdverts = OptionalInt.empty();

    InstanceDraft(String name, SourcePos at) {
        this.name = name;
        this.at = at;
        this.ctx = "vrrp_instance " + name;
    }

    Optional<VrrpInstance> build(KeepalivedConfigParser p, GlobalDefs g, Map<String, VrrpScript> scripts,
                                 Map<String, TrackFile> files, Optional<KeepalivedConfigParser.SyncGroupDraft> syncGroup) {
        int errorsBefore = p.errorCount();
        boolean strict = strictMode || g.vrrpStrict();
        if (!vridGiven) {
            p.error(at, ctx + ": virtual_router_id is missing");
        }
        Optional<String> ifName = iface.or(() -> p.defaultInterface());
        if (ifName.isEmpty() && peers.isEmpty()) {
            p.error(at, ctx + ": no 'interface' (needed for multicast adverts)");
        }
        // The family comes from the first VIP, as in keepalived; else from the addresses given.
        AddressFamily family = vips.stream().findFirst().map(VirtualAddress::family)
                .or(() -> unicastSrc.or(() -> mcastSrc).map(ValueReader::familyOf))
                .or(() -> peers.stream().findFirst().map(pe -> ValueReader.familyOf(pe.address())))
                .orElse(AddressFamily.IPV4);
        unicastSrc.or(() -> mcastSrc).filter(a -> ValueReader.familyOf(a) != family).ifPresent(a ->
                p.error(at, ctx + ": source address " + IpLiteral.format(a) + " is not "
                        + name(family) + " like the virtual addresses"));
        for (UnicastPeer peer : peers) {
            if (ValueReader.familyOf(peer.address()) != family) {
                p.error(at, ctx + ": unicast_peer " + IpLiteral.format(peer.address()) + " is not "
                        + name(family) + " like the instance");
            }
        }
        mcastDst.filter(a -> ValueReader.familyOf(a) != family).ifPresent(a ->
                p.error(at, ctx + ": mcast_dst_ip " + IpLiteral.format(a) + " is not " + name(family)));
        if (mcastDst.isPresent() && !peers.isEmpty()) {
            p.error(at, ctx + ": mcast_dst_ip is given but the instance is unicast (unicast_peer)");
        }

        // version: explicit, else global; IPv6 is always v3 (RFC 5798), as keepalived deduces
        int ver = version.orElse(family == AddressFamily.IPV6 ? 3 : g.vrrpVersion());
        if (family == AddressFamily.IPV6 && ver == 2) {
            p.error(versionAt.map(Statement::pos).orElse(at), ctx
                    + ": VRRP version 2 has no IPv6; IPv6 instances use version 3");
        }

        // priority and state
        InitialState st = state.orElse(InitialState.BACKUP);
        int prio;
        if (priority.isPresent()) {
            prio = priority.getAsInt();
        } else if (state.orElse(InitialState.BACKUP) == InitialState.MASTER) {
            prio = VrrpInstance.OWNER_PRIORITY;
            p.warning(at, ctx + ": state MASTER without a priority makes this the address owner (priority 255),"
                    + " as in keepalived; give a priority if that is not meant");
        } else {
            prio = 100;
        }
        if (state.isEmpty()) {
            st = prio == VrrpInstance.OWNER_PRIORITY ? InitialState.MASTER : InitialState.BACKUP;
        }
        if (strict && (st == InitialState.MASTER) != (prio == VrrpInstance.OWNER_PRIORITY)) {
            p.error(at, ctx + ": strict mode: state MASTER must go with priority 255 (the address owner) and only with it");
        }

        // advert interval: it must fit the version's wire unit. keepalived rounds with a config
        // error (-t exit 5); Vigil refuses, so that the interval used is the one written.
        Duration adv = advert.orElse(Duration.ofSeconds(1));
        SourcePos advPos = advertAt.map(Statement::pos).orElse(at);
        long micros = adv.toNanos() / 1000;
        if (ver == 2 && micros % 1_000_000 != 0) {
            p.error(advPos, ctx + ": advert_int " + ValueReader.show(adv) + " s is not a whole number of seconds,"
                    + " which VRRP version 2 needs (keepalived would round it to "
                    + Math.max(1, (micros + 500_000) / 1_000_000) + " s)");
        } else if (ver == 3 && adv.compareTo(KeepalivedConfigParser.MAX_V3_ADVERT) > 0) {
            p.error(advPos, ctx + ": advert_int " + ValueReader.show(adv)
                    + " s is above VRRP version 3's maximum of 40.95 s");
        } else if (ver == 3 && micros % 10_000 != 0) {
            p.error(advPos, ctx + ": advert_int " + ValueReader.show(adv) + " s is not a multiple of 0.01 s,"
                    + " which VRRP version 3 needs (keepalived would round it to "
                    + ValueReader.show(Duration.ofMillis(Math.max(1, (micros + 5_000) / 10_000) * 10)) + " s)");
        }

        // preemption
        boolean preempt = nopreempt.isEmpty();
        Duration delay = preemptDelay.orElse(Duration.ZERO);
        if (nopreempt.isPresent() && prio == VrrpInstance.OWNER_PRIORITY) {
            p.error(nopreempt.get().pos(), ctx + ": nopreempt cannot be used by the address owner (priority 255),"
                    + " which always takes over");
        }
        if (st == InitialState.MASTER) {
            if (nopreempt.isPresent()) {
                p.warning(nopreempt.get().pos(), ctx + ": nopreempt is ignored with state MASTER, as in keepalived;"
                        + " use state BACKUP on every node with nopreempt");
                preempt = true;
            }
            if (preemptDelayAt.isPresent()) {
                p.warning(preemptDelayAt.get().pos(), ctx + ": preempt_delay is ignored with state MASTER, as in keepalived");
                delay = Duration.ZERO;
            }
        } else if (nopreempt.isPresent() && preemptDelayAt.isPresent()) {
            p.warning(preemptDelayAt.get().pos(), ctx + ": preempt_delay has no effect with nopreempt");
            delay = Duration.ZERO;
        }
        if (strict && preemptDelayAt.isPresent() && delay.compareTo(Duration.ZERO) > 0) {
            p.error(preemptDelayAt.get().pos(), ctx + ": strict mode does not allow preempt_delay");
        }

        // virtual addresses
        if (vips.isEmpty() && vipsAt.isEmpty()) {
            if (ver == 3 || strict) {
                p.error(at, ctx + ": no virtual_ipaddress; at least one is required"
                        + (strict ? " in strict mode" : " with VRRP version 3"));
            } else {
                p.warning(at, ctx + ": no virtual_ipaddress; at least one is sensible");
            }
        }
        if (vips.size() > KeepalivedConfigParser.MAX_VIPS_IN_ADVERT) {
            p.error(vipsAt.orElse(at), ctx + ": virtual_ipaddress lists " + vips.size()
                    + " addresses; an advert carries at most 255 (put the rest in virtual_ipaddress_excluded)");
        }

        // authentication
        if (auth.isPresent()) {
            if (ver == 3) {
                p.error(authAt.orElse(at), ctx + ": VRRP version 3 has no authentication (RFC 5798);"
                        + " remove the authentication block or use version 2");
            } else if (strict) {
                p.error(authAt.orElse(at), ctx + ": strict mode does not allow authentication");
            }
        }
        if (strict && !peers.isEmpty()) {
            p.error(at, ctx + ": strict mode does not allow unicast_peer");
        }

        // keepalived drops (or zeroes) tracker weights of sync-group members and of the address
        // owner, with a config error; Vigil refuses them so the file says what will happen.
        Optional<String> noWeights = prio == VrrpInstance.OWNER_PRIORITY
                ? Optional.of("the address owner (priority 255) never changes its priority")
                : syncGroup.filter(sg -> !sg.trackingWeight).map(sg -> "in vrrp_sync_group " + sg.name
                + " weights are ignored unless the group sets sync_group_tracking_weight");
        List<TrackedScript> ts = p.resolveScripts(trackScript, ctx, scripts, noWeights);
        List<TrackedFile> tf = p.resolveFiles(trackFile, ctx, files, noWeights);
        p.checkInterfaceWeights(trackIf, ctx, noWeights);
        if (p.errorCount() > errorsBefore || vrid.isEmpty()) {
            return Optional.empty();
        }
        GarpSettings gg = g.garp();
        GarpSettings garp = new GarpSettings(garpMasterDelay.orElse(gg.masterDelay()),
                garpMasterRepeat.orElse(gg.masterRepeat()), garpMasterRefresh.orElse(gg.masterRefresh()),
                garpMasterRefreshRepeat.orElse(gg.masterRefreshRepeat()),
                garpLowerPrioDelay.orElse(strict ? Duration.ZERO : gg.lowerPrioDelay()),
                garpLowerPrioRepeat.orElse(strict ? 0 : gg.lowerPrioRepeat()));
        boolean acceptMode = accept.orElse(prio == VrrpInstance.OWNER_PRIORITY || !strict);
        InetAddress group = mcastDst.orElse(family == AddressFamily.IPV6 ? g.mcastGroup6() : g.mcastGroup4());
        Optional<Vmac> vm = vmac.map(v -> new Vmac(v.interfaceName(), v.macAddress(), vmacXmitBase));
        if (vmac.isEmpty() && vmacXmitBase) {
            p.warning(at, ctx + ": vmac_xmit_base has no effect without use_vmac");
        }
        return Optional.of(new VrrpInstance(name, at, st, ifName, vrid.getAsInt(), prio, ver, adv,
                downTimerAdverts.orElse(g.downTimerAdverts()), preempt, delay, family,
                unicastSrc.or(() -> mcastSrc), group, peers, checkUnicastSrc.orElse(g.checkUnicastSrc()),
                vips, evips, auth, garp, KeepalivedConfigParser.interfaces(trackIf), ts, tf, dontTrackPrimary, trackSrcIp,
                notify.build(), smtpAlert, acceptMode, vm, v3ChecksumAsV2.orElse(g.v3ChecksumAsV2()),
                lowerPrioNoAdvert.orElse(strict || g.lowerPrioNoAdvert()),
                higherPrioSendAdvert.orElse(!strict && g.higherPrioSendAdvert()),
                skipCheckAdvAddr.orElse(g.skipCheckAdvAddr()), strict));
    }

    private static String name(AddressFamily f) {
        return f == AddressFamily.IPV6 ? "IPv6" : "IPv4";
    }
}
