package dev.vigil.agent.net;

import dev.vigil.lab.Host;
import dev.vigil.lab.NetLab;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetAddress;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Address changes inside a NetLab host, made by `ip` (someone else) and by Rtnetlink (us), as the monitor reports them. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AddressMonitorIT {
    @RegisterExtension
    final NetLab lab = NetLab.extension();

    private static <T extends AddressEvent> T next(BlockingQueue<AddressEvent> q, Class<T> type, String address)
            throws Exception {
        InetAddress wanted = InetAddress.getByName(address);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            AddressEvent e = q.poll(100, TimeUnit.MILLISECONDS);
            if (type.isInstance(e) && wantedAddress(e).equals(wanted)) {
                return type.cast(e);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " for " + address + " within 5 s");
    }

    private static InetAddress wantedAddress(AddressEvent e) {
        if (e instanceof AddressEvent.AddressPresent p) {
            return p.address().address();
        }
        if (e instanceof AddressEvent.AddressRemoved r) {
            return r.address().address();
        }
        return InetAddress.getLoopbackAddress(); // EventsLost, or no event yet
    }

    @Test
    void reportsAddressesAddedAndRemovedByAnyoneInBothFamilies() throws Exception {
        Host h = lab.host("h", lab.segment("one"));
        BlockingQueue<AddressEvent> events = new LinkedBlockingQueue<>();
        try (AddressMonitor monitor = InNamespace.call(h, () -> AddressMonitor.open(events::add));
             Rtnetlink rtnl = InNamespace.call(h, Rtnetlink::open)) {
            h.exec("ip", "addr", "add", "192.0.2.100/32", "dev", "eth0").orThrow();
            AddressEvent.AddressPresent added = next(events, AddressEvent.AddressPresent.class, "192.0.2.100");
            assertThat(added.address().prefixLength()).isEqualTo(32);
            assertThat(added.address().interfaceIndex()).isEqualTo(rtnl.link("eth0").orElseThrow().index());

            h.exec("ip", "addr", "del", "192.0.2.100/32", "dev", "eth0").orThrow(); // deleted behind our back
            next(events, AddressEvent.AddressRemoved.class, "192.0.2.100");

            VirtualAddress vip6 = VirtualAddress.host(InetAddress.getByName("2001:db8:1::100"), "eth0");
            rtnl.add(vip6);
            assertThat(next(events, AddressEvent.AddressPresent.class, "2001:db8:1::100").address().noDad()).isTrue();
            rtnl.remove(vip6);
            next(events, AddressEvent.AddressRemoved.class, "2001:db8:1::100");
        }
    }
}
