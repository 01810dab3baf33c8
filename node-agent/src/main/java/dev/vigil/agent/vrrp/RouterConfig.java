package dev.vigil.agent.vrrp;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The immutable configuration of one VRRP instance as the router needs it (the keepalived.conf parser
 * maps {@code vrrp_instance} onto this). Defaults follow keepalived 2.2.7.
 *
 * @param advertIntervalCentis {@code advert_int} in centiseconds (v2: whole seconds, so a multiple of 100)
 * @param primaryAddress       the source address of our adverts (interface primary or {@code unicast_src_ip})
 * @param unicastPeers         empty for multicast; otherwise adverts go to each peer and the TTL check is off
 * @param preempt              false for {@code nopreempt}
 * @param garpMasterRepeat     GARPs/NAs per VIP on becoming master, and again after {@code garpMasterDelay}
 * @param garpLowerPrioRepeat  {@code garp_lower_prio_repeat}: re-announce when a master hears a lower-priority
 *                             master (a healed partition); 0 = off
 * @param checkAdvertAddresses false for {@code skip_check_adv_addr}
 * @param ownerIgnoresAdverts  {@code owner_ignore_adverts}: the address owner drops every advert, as RFC 5798
 *                             §7.1 says; keepalived's default (false) lets an owner hear a rival owner
 * @param syncGroup            the {@code vrrp_sync_group} this instance belongs to: its master-down timer then
 *                             only asks to become master ({@link RouterAction.MasterWanted}) and {@link GroupSync}
 *                             decides, and it reports its own faults ({@link RouterAction.OwnFaultChanged})
 * @param faultTakeover        Vigil's default (keepalived: false): a router in FAULT with its link up keeps listening,
 *                             and when it leaves FAULT its Master_Down timer runs from the last advert it heard (or
 *                             from when it started listening) instead of from now, so one that heard no master for a
 *                             whole Master_Down_Interval becomes MASTER at once (issue 6: a promoted standby's write VIP)
 */
public record RouterConfig(String name, VrrpVersion version, IpFamily family, int vrid, int priority,
                           int advertIntervalCentis, IpAddress primaryAddress, List<IpAddress> vips,
                           List<IpAddress> unicastPeers, boolean preempt, Duration preemptDelay, boolean acceptMode,
                           Authentication auth, V3Ipv4Checksum v3Ipv4Checksum, boolean lowerPrioNoAdvert,
                           boolean higherPrioSendAdvert, int garpMasterRepeat, Duration garpMasterDelay,
                           int garpLowerPrioRepeat, boolean checkAdvertAddresses, boolean checkUnicastSource,
                           List<TrackerSpec> trackers, int downTimerAdverts, boolean ownerIgnoresAdverts,
                           Optional<String> syncGroup, boolean faultTakeover) {

    public RouterConfig {
        vips = List.copyOf(vips);
        unicastPeers = List.copyOf(unicastPeers);
        trackers = List.copyOf(trackers);
        syncGroup = syncGroup == null ? Optional.empty() : syncGroup;
        String where = "vrrp_instance " + name + ": ";
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("vrrp_instance: a name is required");
        }
        if (version == null || family == null || primaryAddress == null || preemptDelay == null || auth == null
                || v3Ipv4Checksum == null || garpMasterDelay == null) {
            throw new IllegalArgumentException(where + "version, family, primary address, delays, auth and checksum mode are required");
        }
        if (vrid < 1 || vrid > 255) {
            throw new IllegalArgumentException(where + "virtual_router_id " + vrid + " outside 1..255");
        }
        if (priority < 1 || priority > 255) {
            throw new IllegalArgumentException(where + "priority " + priority + " outside 1..255");
        }
        if (version == VrrpVersion.V2 && family == IpFamily.IPV6) {
            throw new IllegalArgumentException(where + "IPv6 needs version 3 (VRRPv2 is IPv4 only)");
        }
        if (version == VrrpVersion.V2 && (advertIntervalCentis % 100 != 0 || advertIntervalCentis < 100
                || advertIntervalCentis > 25_500)) {
            throw new IllegalArgumentException(where + "advert_int " + advertIntervalCentis / 100.0
                    + " s: VRRPv2 needs whole seconds 1..255");
        }
        if (version == VrrpVersion.V3 && (advertIntervalCentis < 1 || advertIntervalCentis > Advert.MAX_V3_INTERVAL_CENTIS)) {
            throw new IllegalArgumentException(where + "advert_int " + advertIntervalCentis / 100.0
                    + " s: VRRPv3 needs 0.01..40.95 s");
        }
        if (version == VrrpVersion.V3 && auth.type() != Authentication.AuthType.NONE) {
            throw new IllegalArgumentException(where + "authentication is not allowed with VRRPv3");
        }
        if (primaryAddress.family() != family) {
            throw new IllegalArgumentException(where + "source address " + primaryAddress + " is not " + family);
        }
        if (vips.size() > Advert.MAX_ADDRESSES) {
            throw new IllegalArgumentException(where + vips.size() + " virtual addresses, at most 255 fit in an advert");
        }
        for (IpAddress a : vips) {
            if (a.family() != family) {
                throw new IllegalArgumentException(where + "virtual_ipaddress " + a + " is not " + family);
            }
        }
        for (IpAddress a : unicastPeers) {
            if (a.family() != family) {
                throw new IllegalArgumentException(where + "unicast_peer " + a + " is not " + family);
            }
        }
        if (priority == 255 && !preempt) {
            throw new IllegalArgumentException(where + "nopreempt is not allowed for the address owner (priority 255)");
        }
        if (preemptDelay.isNegative() || preemptDelay.compareTo(Duration.ofSeconds(1000)) > 0) {
            throw new IllegalArgumentException(where + "preempt_delay " + preemptDelay + " outside 0..1000 s");
        }
        if (!preempt && !preemptDelay.isZero()) {
            throw new IllegalArgumentException(where + "preempt_delay has no effect with nopreempt");
        }
        if (garpMasterRepeat < 0 || garpLowerPrioRepeat < 0) {
            throw new IllegalArgumentException(where + "GARP repeat counts must not be negative");
        }
        if (downTimerAdverts < 1 || downTimerAdverts > 100) {
            throw new IllegalArgumentException(where + "down_timer_adverts " + downTimerAdverts + " outside 1..100");
        }
        Set<String> names = new HashSet<>();
        for (TrackerSpec t : trackers) {
            if (!names.add(t.name())) {
                throw new IllegalArgumentException(where + "tracker " + t.name() + " listed twice");
            }
        }
    }

    public static Builder builder(String name, int vrid, IpAddress primaryAddress) {
        return new Builder(name, vrid, primaryAddress);
    }

    public boolean unicast() {
        return !unicastPeers.isEmpty();
    }

    public boolean addressOwner() {
        return priority == 255;
    }

    /** Where our adverts go: the multicast group, or each unicast peer. */
    public List<IpAddress> advertDestinations() {
        return unicast() ? unicastPeers : List.of(AdvertCodec.multicastGroup(family));
    }

    public Builder toBuilder() {
        Builder b = new Builder(name, vrid, primaryAddress);
        b.version = version;
        b.priority = priority;
        b.advertIntervalCentis = advertIntervalCentis;
        b.vips = vips;
        b.unicastPeers = unicastPeers;
        b.preempt = preempt;
        b.preemptDelay = preemptDelay;
        b.acceptMode = acceptMode;
        b.auth = auth;
        b.v3Ipv4Checksum = v3Ipv4Checksum;
        b.lowerPrioNoAdvert = lowerPrioNoAdvert;
        b.higherPrioSendAdvert = higherPrioSendAdvert;
        b.garpMasterRepeat = garpMasterRepeat;
        b.garpMasterDelay = garpMasterDelay;
        b.garpLowerPrioRepeat = garpLowerPrioRepeat;
        b.checkAdvertAddresses = checkAdvertAddresses;
        b.checkUnicastSource = checkUnicastSource;
        b.trackers = trackers;
        b.downTimerAdverts = downTimerAdverts;
        b.ownerIgnoresAdverts = ownerIgnoresAdverts;
        b.syncGroup = syncGroup;
        b.faultTakeover = faultTakeover;
        return b;
    }

    /** Builder with keepalived 2.2.7's defaults (version 2, priority 100, advert_int 1, preempt, accept). */
    public static final class Builder {
        private final String name;
        private final int vrid;
        private final IpAddress primaryAddress;
        private VrrpVersion version = VrrpVersion.V2;
        private int priority = 100;
        private int advertIntervalCentis = 100;
        private List<IpAddress> vips = List.of();
        private List<IpAddress> unicastPeers = List.of();
        private boolean preempt = true;
        private Duration preemptDelay = Duration.ZERO;
        private boolean acceptMode = true;
        private Authentication auth = Authentication.NONE;
        private V3Ipv4Checksum v3Ipv4Checksum = V3Ipv4Checksum.WITH_PSEUDO_HEADER;
        private boolean lowerPrioNoAdvert;
        private boolean higherPrioSendAdvert;
        private int garpMasterRepeat = 5;
        private Duration garpMasterDelay = Duration.ofSeconds(5);
        private int garpLowerPrioRepeat;
        private boolean checkAdvertAddresses = true;
        private boolean checkUnicastSource;
        private List<TrackerSpec> trackers = List.of();
        private int downTimerAdverts = 3;
        private boolean ownerIgnoresAdverts;
        private Optional<String> syncGroup = Optional.empty();
        private boolean faultTakeover = true;

        private Builder(String name, int vrid, IpAddress primaryAddress) {
            this.name = name;
            this.vrid = vrid;
            this.primaryAddress = primaryAddress;
        }

        public Builder version(VrrpVersion v) { this.version = v; return this; }
        public Builder priority(int p) { this.priority = p; return this; }
        public Builder advertIntervalCentis(int cs) { this.advertIntervalCentis = cs; return this; }
        public Builder vips(List<IpAddress> v) { this.vips = v; return this; }
        public Builder unicastPeers(List<IpAddress> p) { this.unicastPeers = p; return this; }
        public Builder preempt(boolean p) { this.preempt = p; return this; }
        public Builder preemptDelay(Duration d) { this.preemptDelay = d; return this; }
        public Builder acceptMode(boolean a) { this.acceptMode = a; return this; }
        public Builder auth(Authentication a) { this.auth = a; return this; }
        public Builder v3Ipv4Checksum(V3Ipv4Checksum m) { this.v3Ipv4Checksum = m; return this; }
        public Builder lowerPrioNoAdvert(boolean b) { this.lowerPrioNoAdvert = b; return this; }
        public Builder higherPrioSendAdvert(boolean b) { this.higherPrioSendAdvert = b; return this; }
        public Builder garpMasterRepeat(int n) { this.garpMasterRepeat = n; return this; }
        public Builder garpMasterDelay(Duration d) { this.garpMasterDelay = d; return this; }
        public Builder garpLowerPrioRepeat(int n) { this.garpLowerPrioRepeat = n; return this; }
        public Builder checkAdvertAddresses(boolean b) { this.checkAdvertAddresses = b; return this; }
        public Builder checkUnicastSource(boolean b) { this.checkUnicastSource = b; return this; }
        public Builder trackers(List<TrackerSpec> t) { this.trackers = t; return this; }
        public Builder downTimerAdverts(int n) { this.downTimerAdverts = n; return this; }
        public Builder ownerIgnoresAdverts(boolean b) { this.ownerIgnoresAdverts = b; return this; }
        public Builder syncGroup(String group) { this.syncGroup = Optional.of(group); return this; }
        public Builder withoutSyncGroup() { this.syncGroup = Optional.empty(); return this; }
        public Builder faultTakeover(boolean b) { this.faultTakeover = b; return this; }

        public RouterConfig build() {
            return new RouterConfig(name, version, primaryAddress.family(), vrid, priority, advertIntervalCentis,
                    primaryAddress, vips, unicastPeers, preempt, preemptDelay, acceptMode, auth, v3Ipv4Checksum,
                    lowerPrioNoAdvert, higherPrioSendAdvert, garpMasterRepeat, garpMasterDelay, garpLowerPrioRepeat,
                    checkAdvertAddresses, checkUnicastSource, trackers, downTimerAdverts, ownerIgnoresAdverts, syncGroup,
                    faultTakeover);
        }
    }
}
