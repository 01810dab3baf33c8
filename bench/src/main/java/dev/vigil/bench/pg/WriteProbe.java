package dev.vigil.bench.pg;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client of {@link PromoteToWrite}, started inside the client host: tries to write through the VIP until one
 * write commits, then prints {@code WROTE <monotonic nanos>} and exits. The parent compares that instant with the
 * moment promotion returned ({@code System.nanoTime} is CLOCK_MONOTONIC, one clock for every process of the machine).
 *
 * <p>A TCP connect to a VIP nobody holds hangs (the client's ARP entry still names the old holder, which drops the
 * SYN), so each attempt first connects with a 50 ms timeout, and a new attempt starts every 10 ms: the first write is
 * seen within about 10 ms of the VIP answering, whoever took it.
 *
 * <p>Arguments: VIP PORT WARM_UP_HOST. Before it says READY, the probe connects a few times to WARM_UP_HOST (the
 * standby's own address), so class loading and the first compilations of pgjdbc are not counted in the round.
 */
public final class WriteProbe {
    private WriteProbe() {
    }

    public static void main(String[] args) throws Exception {
        String vip = args[0];
        int port = Integer.parseInt(args[1]);
        String url = "jdbc:postgresql://" + vip + ":" + port + "/postgres?user=postgres&connectTimeout=2&socketTimeout=5";
        AtomicBoolean done = new AtomicBoolean();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger value = new AtomicInteger(1000);
        ExecutorService pool = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "write-attempt");
            t.setDaemon(true);
            return t;
        });
        String warmUp = "jdbc:postgresql://" + args[2] + ":" + port + "/postgres?user=postgres&connectTimeout=2";
        for (int i = 0; i < 20; i++) {
            try (Connection c = DriverManager.getConnection(warmUp); Statement st = c.createStatement()) {
                st.executeQuery("select count(*) from orders").close();
            }
        }
        System.out.println("READY");
        System.out.flush();
        CountDownLatch printed = new CountDownLatch(1);
        while (!done.get()) {
            if (inFlight.get() < 8) {
                inFlight.incrementAndGet();
                pool.execute(() -> {
                    try {
                        attempt(vip, port, url, value.incrementAndGet(), done, printed);
                    } finally {
                        inFlight.decrementAndGet();
                    }
                });
            }
            Thread.sleep(10);
        }
        printed.await(); // the winning attempt sets done before it prints: exit only once the line is out
        System.exit(0);
    }

    private static void attempt(String vip, int port, String url, int value, AtomicBoolean done, CountDownLatch printed) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(vip, port), 50);
        } catch (IOException notYet) {
            return;
        }
        try (Connection c = DriverManager.getConnection(url); Statement st = c.createStatement()) {
            st.executeUpdate("insert into orders values (" + value + ")");
            long at = System.nanoTime();
            if (done.compareAndSet(false, true)) {
                System.out.println("WROTE " + at);
                System.out.flush();
                printed.countDown();
            }
        } catch (SQLException refusedOrReadOnly) {
            // not the promoted primary yet
        }
    }
}
