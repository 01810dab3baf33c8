package dev.vigil.agent.net;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Optional;

/** An address the kernel reports on an interface (RTM_GETADDR / RTM_NEWADDR). */
public record InterfaceAddress(InetAddress address, int prefixLength, int interfaceIndex, AddressScope scope,
                               Optional<String> label, Optional<Inet4Address> broadcast, int flags) {
    public boolean noDad() {
        return (flags & LinuxAbi.IFA_F_NODAD) != 0;
    }

    /** The same address as a VIP on {@code device}, for removing it exactly (the kernel matches the prefix). */
    public VirtualAddress asVirtualAddressOn(String device) {
        return new VirtualAddress(address, prefixLength, device, Optional.empty(), Optional.empty(), scope,
                noDad(), VirtualAddress.FOREVER);
    }

    @Override
    public String toString() {
        return AddressText.of(address) + "/" + prefixLength + " if " + interfaceIndex + " scope " + scope
                + label.map(l -> " label " + l).orElse("");
    }
}
