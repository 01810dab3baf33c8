package dev.vigil.agent.daemon;

import dev.vigil.agent.config.AgentConfig;
import dev.vigil.agent.config.VrrpInstance;
import dev.vigil.agent.net.InterfaceAddress;
import dev.vigil.agent.net.LinuxCallFailed;
import dev.vigil.agent.net.Rtnetlink;
import dev.vigil.agent.net.VirtualAddress;

import java.util.ArrayList;
import java.util.List;

/**
 * The VIPs a configuration may have put on this host, removed without running any router: the start-of-day
 * cleanup of {@link AgentDaemon} on its own, for systemd's {@code ExecStopPost} after an agent died without
 * removing them (kill -9, OOM). Instances without an interface name have no VIP device and are skipped.
 */
public final class LeftoverVips {
    private LeftoverVips() {
    }

    /** Every {@code virtual_ipaddress} of {@code config} on the device rtnetlink would add it to. */
    public static List<VirtualAddress> of(AgentConfig config) {
        List<VirtualAddress> out = new ArrayList<>();
        for (VrrpInstance i : config.instances()) {
            i.interfaceName().ifPresent(ifname ->
                    i.virtualAddresses().forEach(v -> out.add(ConfiguredInstance.vipOf(v, ifname))));
        }
        return out;
    }

    /** What a cleanup removed, and the VIPs it could not look at or remove (a missing device, no rights), with why. */
    public record Outcome(List<InterfaceAddress> removed, List<String> failures) {
        public Outcome {
            removed = List.copyOf(removed);
            failures = List.copyOf(failures);
        }
    }

    /**
     * Removes what is present of {@link #of(AgentConfig)}; absent addresses are the normal case. One VIP at a time,
     * so that a device that is gone does not keep the others on the host.
     */
    public static Outcome remove(AgentConfig config) throws LinuxCallFailed {
        List<InterfaceAddress> removed = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        try (Rtnetlink rtnetlink = Rtnetlink.open()) {
            for (VirtualAddress vip : of(config)) {
                try {
                    removed.addAll(rtnetlink.removeLeftovers(List.of(vip)));
                } catch (LinuxCallFailed e) {
                    failures.add(vip.address().getHostAddress() + " on " + vip.device() + ": " + e.getMessage());
                }
            }
        }
        return new Outcome(removed, failures);
    }
}
