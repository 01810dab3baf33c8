package dev.vigil.agent.config;

import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * One {@code vrrp_instance}, validated and with every default resolved.
 *
 * @param declaredAt       where the block starts (for messages at run time)
 * @param interfaceName    empty only for a unicast instance that names no interface
 * @param priority         base priority 1..255 (255 = address owner)
 * @param version          2 or 3 (IPv6 is always 3)
 * @param advertInterval   already rounded as keepalived does: whole seconds for v2, 10 ms steps for v3
 *                         (see {@link #advertIntervalCentis()})
 * @param preempt          false with {@code nopreempt}
 * @param preemptDelay     zero = none
 * @param sourceAddress    {@code unicast_src_ip} or {@code mcast_src_ip}; empty = the interface's primary address
 * @param multicastGroup   destination of multicast adverts ({@code mcast_dst_ip}, else the global group)
 * @param unicastPeers     non-empty = unicast mode
 * @param accept           RFC 5798 Accept_Mode (keepalived default: on, unless strict and not owner)
 * @param strictMode       {@code strict_mode} / {@code vrrp_strict}: RFC-only behaviour
 */
public record VrrpInstance(String name, SourcePos declaredAt, InitialState initialState,
                           Optional<String> interfaceName, int virtualRouterId, int priority, int version,
                           Duration advertInterval, int downTimerAdverts, boolean preempt, Duration preemptDelay,
                           AddressFamily family, Optional<InetAddress> sourceAddress, InetAddress multicastGroup,
                           List<UnicastPeer> unicastPeers, boolean checkUnicastSrc,
                           List<VirtualAddress> virtualAddresses, List<VirtualAddress> excludedAddresses,
                           Optional<PassAuthentication> authentication, GarpSettings garp,
                           List<TrackedInterface> trackInterfaces, List<TrackedScript> trackScripts,
                           List<TrackedFile> trackFiles, boolean dontTrackPrimary, boolean trackSourceAddress,
                           NotifyScripts notifyScripts, boolean smtpAlert, boolean accept, Optional<Vmac> vmac,
                           boolean v3ChecksumAsV2, boolean lowerPrioNoAdvert, boolean higherPrioSendAdvert,
                           boolean skipCheckAdvAddr, boolean strictMode) {

    public static final int OWNER_PRIORITY = 255;

    public VrrpInstance {
        unicastPeers = List.copyOf(unicastPeers);
        virtualAddresses = List.copyOf(virtualAddresses);
        excludedAddresses = List.copyOf(excludedAddresses);
        trackInterfaces = List.copyOf(trackInterfaces);
        trackScripts = List.copyOf(trackScripts);
        trackFiles = List.copyOf(trackFiles);
    }

    /** The advert interval in the v3 wire unit (centiseconds); for v2 a multiple of 100. */
    public int advertIntervalCentis() {
        return (int) (advertInterval.toMillis() / 10);
    }

    public boolean isUnicast() {
        return !unicastPeers.isEmpty();
    }

    /**
     * Equal in everything but where the block is written: for a reload, an instance whose lines
     * only moved (or moved to another file) is unchanged and keeps its state. Trackers are compared
     * by name and weight; a reload must also compare the {@link VrrpScript}s and {@link TrackFile}s
     * they name.
     */
    public boolean sameSettingsAs(VrrpInstance other) {
        return withDeclaredAt(other.declaredAt).equals(other);
    }

    private VrrpInstance withDeclaredAt(SourcePos at) {
        return new VrrpInstance(name, at, initialState, interfaceName, virtualRouterId, priority, version,
                advertInterval, downTimerAdverts, preempt, preemptDelay, family, sourceAddress, multicastGroup,
                unicastPeers, checkUnicastSrc, virtualAddresses, excludedAddresses, authentication, garp,
                trackInterfaces, trackScripts, trackFiles, dontTrackPrimary, trackSourceAddress, notifyScripts,
                smtpAlert, accept, vmac, v3ChecksumAsV2, lowerPrioNoAdvert, higherPrioSendAdvert, skipCheckAdvAddr,
                strictMode);
    }

    /** The same instance tracking these lists instead (its sync group's trackers merged in by the parser). */
    VrrpInstance withTrackers(List<TrackedInterface> interfaces, List<TrackedScript> scripts, List<TrackedFile> files) {
        return new VrrpInstance(name, declaredAt, initialState, interfaceName, virtualRouterId, priority, version,
                advertInterval, downTimerAdverts, preempt, preemptDelay, family, sourceAddress, multicastGroup,
                unicastPeers, checkUnicastSrc, virtualAddresses, excludedAddresses, authentication, garp,
                interfaces, scripts, files, dontTrackPrimary, trackSourceAddress, notifyScripts,
                smtpAlert, accept, vmac, v3ChecksumAsV2, lowerPrioNoAdvert, higherPrioSendAdvert, skipCheckAdvAddr,
                strictMode);
    }

    public boolean isAddressOwner() {
        return priority == OWNER_PRIORITY;
    }
}
