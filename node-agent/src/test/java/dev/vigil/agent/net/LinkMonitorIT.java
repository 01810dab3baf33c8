package dev.vigil.agent.net;

import dev.vigil.lab.Host;
import dev.vigil.lab.NetLab;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Carrier and admin state of a NetLab host's interfaces, as the link monitor inside it reports them. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LinkMonitorIT {
    @RegisterExtension
    static final NetLab lab = NetLab.extension();
    private static Host b;

    @BeforeAll
    static void host() {
        b = lab.host("b", lab.segment("one"), lab.segment("two"));
    }

    private static LinkStateChanged next(BlockingQueue<LinkStateChanged> q) throws InterruptedException {
        LinkStateChanged s = q.poll(5, TimeUnit.SECONDS);
        assertThat(s).as("a link report within 5 s").isNotNull();
        return s;
    }

    @Test
    void reportsTheStartStateThenEachCarrierAndAdminChangeOfWatchedLinksOnly() throws Exception {
        BlockingQueue<LinkStateChanged> reports = new LinkedBlockingQueue<>();
        try (LinkMonitor monitor = InNamespace.call(b, () -> LinkMonitor.open(Set.of("eth0", "nosuch0"), reports::add))) {
            LinkStateChanged first = next(reports), second = next(reports);
            LinkStateChanged eth0 = first.name().equals("eth0") ? first : second;
            LinkStateChanged missing = first.name().equals("eth0") ? second : first;
            assertThat(eth0.usable()).isTrue();
            assertThat(eth0.present()).isTrue();
            assertThat(missing.name()).isEqualTo("nosuch0");
            assertThat(missing.present()).isFalse();
            assertThat(missing.usable()).isFalse();

            lab.cutLink(b); // the cable: eth0 (and eth1) lose carrier
            LinkStateChanged carrierLost = next(reports);
            assertThat(carrierLost.name()).isEqualTo("eth0");
            assertThat(carrierLost.usable()).isFalse();
            assertThat(carrierLost.present()).isTrue(); // oper state follows later (linkwatch): not asserted

            lab.restoreLink(b);
            assertThat(next(reports)).satisfies(s -> {
                assertThat(s.name()).isEqualTo("eth0");
                assertThat(s.usable()).isTrue();
            });

            b.exec("ip", "link", "set", "eth0", "down").orThrow(); // administratively
            assertThat(next(reports)).satisfies(s -> {
                assertThat(s.name()).isEqualTo("eth0");
                assertThat(s.usable()).isFalse();
                assertThat(s.operState()).isEqualTo(Link.OperState.DOWN);
            });
            b.exec("ip", "link", "set", "eth0", "up").orThrow();
            assertThat(next(reports).usable()).isTrue();

            b.exec("ip", "link", "set", "eth1", "down").orThrow(); // not watched: no report
            b.exec("ip", "link", "set", "eth1", "up").orThrow();
            Thread.sleep(300);
            assertThat(reports).as("nothing about eth1 or repeated states").isEmpty();
        }
    }

    @Test
    void anInterfaceThatAppearsAndVanishesIsReported() throws Exception {
        BlockingQueue<LinkStateChanged> reports = new LinkedBlockingQueue<>();
        try (LinkMonitor monitor = InNamespace.call(b, () -> LinkMonitor.open(Set.of("vnew"), reports::add))) {
            assertThat(next(reports).present()).isFalse();
            b.exec("ip", "link", "add", "vnew", "type", "veth", "peer", "name", "vnewp").orThrow();
            b.exec("ip", "link", "set", "vnewp", "up").orThrow();
            b.exec("ip", "link", "set", "vnew", "up").orThrow();
            LinkStateChanged appeared = next(reports);
            if (!appeared.usable()) { // created down first: then comes up
                assertThat(appeared.present()).isTrue();
                appeared = next(reports);
            }
            assertThat(appeared.usable()).isTrue();
            b.exec("ip", "link", "del", "vnew").orThrow();
            LinkStateChanged gone = next(reports);
            if (gone.present()) { // a down notification may precede the deletion
                assertThat(gone.usable()).isFalse();
                gone = next(reports);
            }
            assertThat(gone.present()).isFalse();
        }
    }
}
