package dev.vigil.agent.net;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

import static dev.vigil.agent.net.LinuxAbi.*;

/**
 * Follows IPv4 and IPv6 address changes in the namespace through rtnetlink notifications, on its own thread. The
 * consumer runs on that thread: hop onto the routers' context. Open it in the namespace to watch.
 */
public final class AddressMonitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AddressMonitor.class);
    static final int READ_WAKE_MILLIS = 100; // netlink sockets have no shutdown() to wake a reader: poll for close

    private final NetlinkSocket socket;
    private final Consumer<AddressEvent> consumer;
    private final Thread thread;
    private volatile boolean closed;

    private AddressMonitor(NetlinkSocket socket, Consumer<AddressEvent> consumer) {
        this.socket = socket;
        this.consumer = consumer;
        this.thread = new Thread(this::run, "address-monitor");
        this.thread.setDaemon(true);
    }

    /** Subscribes to address notifications; changes made after this returns are all reported. */
    public static AddressMonitor open(Consumer<AddressEvent> consumer) throws LinuxCallFailed {
        Objects.requireNonNull(consumer, "consumer");
        AddressMonitor monitor = new AddressMonitor(
                NetlinkSocket.open(RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR, READ_WAKE_MILLIS), consumer);
        monitor.thread.start();
        return monitor;
    }

    private void run() {
        while (!closed) {
            List<NetlinkMessage> batch;
            try {
                batch = socket.receive("address notifications");
            } catch (LinuxCallFailed e) {
                if (closed) {
                    return;
                }
                if (e.errno() != ENOBUFS) {
                    LOG.warn("{}", e.getMessage());
                    pause();
                }
                deliver(new AddressEvent.EventsLost(System.nanoTime()));
                continue;
            }
            long now = System.nanoTime();
            for (NetlinkMessage m : batch) {
                if (m.type() == RTM_NEWADDR) {
                    RtnetlinkCodec.decodeAddress(m).ifPresent(a -> deliver(new AddressEvent.AddressPresent(a, now)));
                } else if (m.type() == RTM_DELADDR) {
                    RtnetlinkCodec.decodeAddress(m).ifPresent(a -> deliver(new AddressEvent.AddressRemoved(a, now)));
                }
            }
        }
    }

    private void deliver(AddressEvent event) {
        try {
            consumer.accept(event);
        } catch (RuntimeException e) {
            LOG.error("address event consumer failed for {}", event, e);
        }
    }

    private static void pause() {
        try {
            Thread.sleep(READ_WAKE_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (Thread.currentThread() != thread) {
            try {
                thread.join(5L * READ_WAKE_MILLIS + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        socket.close();
    }
}
