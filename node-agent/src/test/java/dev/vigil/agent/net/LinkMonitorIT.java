package dev.vigil.agent.net;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Carrier and admin state of veth ends, as the link monitor in b reports them. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LinkMonitorIT {
    private static NetnsLab lab;
    private static String a, b;

    @BeforeAll
    static void buildLab() {
        lab = NetnsLab.create();
        try {
            a = lab.namespace("a");
            b = lab.namespace("b");
            lab.veth(a, "va", b, "vb");
            lab.veth(a, "va2", b, "vb2");
        } catch (RuntimeException e) {
            lab.close();
            throw e;
        }
    }

    @AfterAll
    static void removeLab() {
        if (lab != null) {
            lab.close();
        }
    }

    private static LinkStateChanged next(BlockingQueue<LinkStateChanged> q) throws InterruptedException {
        LinkStateChanged s = q.poll(5, TimeUnit.SECONDS);
        assertThat(s).as("a link report within 5 s").isNotNull();
        return s;
    }

    @Test
    void reportsTheStartStateThenEachCarrierAndAdminChangeOfWatchedLinksOnly() throws Exception {
        BlockingQueue<LinkStateChanged> reports = new LinkedBlockingQueue<>();
        try (LinkMonitor monitor = lab.inside(b, () -> LinkMonitor.open(Set.of("vb", "nosuch0"), reports::add))) {
            LinkStateChanged first = next(reports), second = next(reports);
            LinkStateChanged vb = first.name().equals("vb") ? first : second;
            LinkStateChanged missing = first.name().equals("vb") ? second : first;
            assertThat(vb.usable()).isTrue();
            assertThat(vb.present()).isTrue();
            assertThat(missing.name()).isEqualTo("nosuch0");
            assertThat(missing.present()).isFalse();
            assertThat(missing.usable()).isFalse();

            lab.in(b, "ip", "link", "set", "vb2", "down"); // not watched: no report
            lab.in(a, "ip", "link", "set", "va", "down"); // the peer's end: vb loses carrier
            LinkStateChanged carrierLost = next(reports);
            assertThat(carrierLost.name()).isEqualTo("vb");
            assertThat(carrierLost.usable()).isFalse();
            assertThat(carrierLost.present()).isTrue(); // oper state follows later (linkwatch): not asserted

            lab.in(a, "ip", "link", "set", "va", "up");
            assertThat(next(reports)).satisfies(s -> {
                assertThat(s.name()).isEqualTo("vb");
                assertThat(s.usable()).isTrue();
            });

            lab.in(b, "ip", "link", "set", "vb", "down"); // our own end, administratively
            assertThat(next(reports)).satisfies(s -> {
                assertThat(s.name()).isEqualTo("vb");
                assertThat(s.usable()).isFalse();
                assertThat(s.operState()).isEqualTo(Link.OperState.DOWN);
            });
            lab.in(b, "ip", "link", "set", "vb", "up");
            assertThat(next(reports).usable()).isTrue();

            lab.in(b, "ip", "link", "set", "vb2", "up");
            Thread.sleep(300);
            assertThat(reports).as("nothing about vb2 or repeated states").isEmpty();
        }
        lab.in(b, "ip", "link", "set", "vb2", "up");
    }

    @Test
    void anInterfaceThatAppearsAndVanishesIsReported() throws Exception {
        BlockingQueue<LinkStateChanged> reports = new LinkedBlockingQueue<>();
        try (LinkMonitor monitor = lab.inside(b, () -> LinkMonitor.open(Set.of("vnew"), reports::add))) {
            assertThat(next(reports).present()).isFalse();
            lab.in(b, "ip", "link", "add", "vnew", "type", "veth", "peer", "name", "vnewp");
            lab.in(b, "ip", "link", "set", "vnewp", "up");
            lab.in(b, "ip", "link", "set", "vnew", "up");
            LinkStateChanged appeared = next(reports);
            if (!appeared.usable()) { // created down first: then comes up
                assertThat(appeared.present()).isTrue();
                appeared = next(reports);
            }
            assertThat(appeared.usable()).isTrue();
            lab.in(b, "ip", "link", "del", "vnew");
            LinkStateChanged gone = next(reports);
            if (gone.present()) { // a down notification may precede the deletion
                assertThat(gone.usable()).isFalse();
                gone = next(reports);
            }
            assertThat(gone.present()).isFalse();
        }
    }
}
