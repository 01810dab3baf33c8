package dev.vigil.agent.net;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * A VIP as keepalived's {@code virtual_ipaddress} line describes it (keepalived.md §1.2): address, prefix, device,
 * and the {@code brd}, {@code label}, {@code scope}, {@code -nodad} and {@code preferred_lft} options.
 *
 * <p>Like keepalived, an IPv6 VIP is added without duplicate address detection and with preferred lifetime 0
 * (deprecated, so the kernel never picks it as a source address) unless told otherwise.
 *
 * @param preferredLifetimeSeconds seconds, {@link #FOREVER} for no expiry
 */
public record VirtualAddress(InetAddress address, int prefixLength, String device, Optional<Inet4Address> broadcast,
                             Optional<String> label, AddressScope scope, boolean noDad,
                             long preferredLifetimeSeconds) {
    public static final long FOREVER = 0xFFFF_FFFFL;

    public VirtualAddress {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(broadcast, "broadcast");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(scope, "scope");
        IpFamily family = IpFamily.of(address);
        String what = "VIP " + AddressText.of(address) + ": ";
        int max = family.addressLength * 8;
        if (prefixLength < 0 || prefixLength > max) {
            throw new IllegalArgumentException(what + "prefix length " + prefixLength + " is outside 0.." + max);
        }
        if (device.isEmpty() || device.length() >= LinuxAbi.IFNAMSIZ) {
            throw new IllegalArgumentException(what + "device '" + device + "' must be 1 to 15 characters");
        }
        if (address.isMulticastAddress() || address.isAnyLocalAddress()) {
            throw new IllegalArgumentException(what + "is not a unicast address");
        }
        if (broadcast.isPresent() && family != IpFamily.IPV4) {
            throw new IllegalArgumentException(what + "brd applies to IPv4 addresses only");
        }
        if (label.isPresent()) {
            String l = label.get();
            if (family != IpFamily.IPV4) {
                throw new IllegalArgumentException(what + "label applies to IPv4 addresses only");
            }
            // The kernel refuses a label that does not start with the device name (inet_rtm_newaddr).
            if (!(l.equals(device) || l.startsWith(device + ":")) || l.length() >= LinuxAbi.IFNAMSIZ) {
                throw new IllegalArgumentException(what + "label '" + l + "' must be '" + device + "' or '" + device
                        + ":NAME', at most 15 characters");
            }
        }
        if (preferredLifetimeSeconds < 0 || preferredLifetimeSeconds > FOREVER) {
            throw new IllegalArgumentException(what + "preferred_lft " + preferredLifetimeSeconds + " is out of range");
        }
    }

    /** keepalived's defaults for an address with no options: global scope; IPv6 nodad and preferred_lft 0. */
    public static VirtualAddress of(InetAddress address, int prefixLength, String device) {
        boolean v6 = IpFamily.of(address) == IpFamily.IPV6;
        return new VirtualAddress(address, prefixLength, device, Optional.empty(), Optional.empty(),
                AddressScope.GLOBAL, v6, v6 ? 0 : FOREVER);
    }

    /** The whole address ({@code /32} or {@code /128}), as keepalived when no mask is given. */
    public static VirtualAddress host(InetAddress address, String device) {
        return of(address, IpFamily.of(address).addressLength * 8, device);
    }

    public IpFamily family() {
        return IpFamily.of(address);
    }

    public VirtualAddress withBroadcast(Inet4Address brd) {
        return new VirtualAddress(address, prefixLength, device, Optional.of(brd), label, scope, noDad,
                preferredLifetimeSeconds);
    }

    public VirtualAddress withLabel(String l) {
        return new VirtualAddress(address, prefixLength, device, broadcast, Optional.of(l), scope, noDad,
                preferredLifetimeSeconds);
    }

    public VirtualAddress withScope(AddressScope s) {
        return new VirtualAddress(address, prefixLength, device, broadcast, label, s, noDad, preferredLifetimeSeconds);
    }

    public VirtualAddress withNoDad(boolean n) {
        return new VirtualAddress(address, prefixLength, device, broadcast, label, scope, n, preferredLifetimeSeconds);
    }

    public VirtualAddress withPreferredLifetime(long seconds) {
        return new VirtualAddress(address, prefixLength, device, broadcast, label, scope, noDad, seconds);
    }

    @Override
    public String toString() {
        return AddressText.of(address) + "/" + prefixLength + " dev " + device;
    }
}
