package dev.vigil.agent.net;

import dev.vigil.lab.Host;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.Segment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A stream of adverts at 1 ms spacing (ten times keepalived's fastest advert_int): every one arrives, in order,
 * intact. The send-to-consumer latency is printed for the record, never asserted (shared machine).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VrrpSocketStreamIT {
    private static final int COUNT = 2000;
    @RegisterExtension
    final NetLab lab = NetLab.extension();

    @Test
    void everyAdvertOfAOneMillisecondStreamArrivesInOrder() throws Exception {
        Segment segment = lab.segment("one");
        Host a = lab.host("a", segment);
        Host b = lab.host("b", segment);
        BlockingQueue<long[]> arrivals = new LinkedBlockingQueue<>();
        InetAddress group = InetAddress.getByName("224.0.0.18");
        try (VrrpSocket rx = InNamespace.call(b, () -> VrrpSocket.open(VrrpSocketSpec.multicast("eth0", IpFamily.IPV4),
                     p -> {
                         ByteBuffer m = ByteBuffer.wrap(p.vrrpMessage());
                         arrivals.add(new long[] {m.getInt(8), m.getLong(12), p.arrivalNanos(), p.ttl()});
                     }));
             VrrpSocket tx = InNamespace.call(a, () -> VrrpSocket.open(VrrpSocketSpec.multicast("eth0", IpFamily.IPV4), p -> { }))) {
            for (int i = 0; i < COUNT; i++) {
                ByteBuffer m = ByteBuffer.allocate(20);
                m.put(0, (byte) 0x31).put(1, (byte) 1).putInt(8, i).putLong(12, System.nanoTime());
                tx.send(group, m.array());
                LockSupport.parkNanos(1_000_000);
            }
            List<Long> latencies = new ArrayList<>();
            for (int i = 0; i < COUNT; i++) {
                long[] got = arrivals.poll(5, TimeUnit.SECONDS);
                assertThat(got).as("advert %d arrived", i).isNotNull();
                assertThat(got[0]).as("in order").isEqualTo(i);
                assertThat(got[3]).isEqualTo(255);
                latencies.add(got[2] - got[1]);
            }
            assertThat(rx.droppedCount()).isZero();
            List<Long> warm = new ArrayList<>(latencies.subList(COUNT / 2, COUNT));
            Collections.sort(warm);
            Collections.sort(latencies);
            System.out.printf("VrrpSocket IPv4 multicast over a NetLab bridge, %d adverts at 1 ms: send->consumer "
                            + "latency p50 %d us, p99 %d us, max %d us; second half p50 %d us, p99 %d us%n", COUNT,
                    latencies.get(COUNT / 2) / 1000, latencies.get(COUNT * 99 / 100) / 1000,
                    latencies.get(COUNT - 1) / 1000, warm.get(warm.size() / 2) / 1000,
                    warm.get(warm.size() * 99 / 100) / 1000);
        }
    }
}
