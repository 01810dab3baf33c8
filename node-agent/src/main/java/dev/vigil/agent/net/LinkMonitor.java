package dev.vigil.agent.net;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

import static dev.vigil.agent.net.LinuxAbi.*;

/**
 * Follows the usability of named interfaces through rtnetlink link notifications (RTMGRP_LINK), on its own
 * thread, as keepalived's netlink monitor does for FAULT: it first reports the current state of every watched name
 * (absent ones included), then each change of {@link LinkStateChanged#usable()}. If the kernel drops
 * notifications (ENOBUFS), it re-reads every link and reports what changed meanwhile.
 *
 * <p>The consumer runs on the monitor thread: hop onto the routers' context. Open it in the namespace to watch.
 */
public final class LinkMonitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LinkMonitor.class);
    static final int READ_WAKE_MILLIS = 100;

    private final NetlinkSocket socket;
    private final Set<String> names;
    private final Consumer<LinkStateChanged> consumer;
    private final Map<String, LinkStateChanged> last = new HashMap<>(); // only the monitor thread touches it
    private final Thread thread;
    private volatile boolean closed;

    private LinkMonitor(NetlinkSocket socket, Set<String> names, Consumer<LinkStateChanged> consumer) {
        this.socket = socket;
        this.names = Set.copyOf(names);
        this.consumer = consumer;
        this.thread = new Thread(this::run, "link-monitor");
        this.thread.setDaemon(true);
    }

    /** Subscribes, then starts the thread, which reports the current state of each name first. */
    public static LinkMonitor open(Set<String> interfaceNames, Consumer<LinkStateChanged> consumer)
            throws LinuxCallFailed {
        Objects.requireNonNull(consumer, "consumer");
        if (interfaceNames.isEmpty()) {
            throw new IllegalArgumentException("no interface to watch");
        }
        NetlinkSocket socket = NetlinkSocket.open(RTMGRP_LINK, READ_WAKE_MILLIS);
        LinkMonitor monitor = new LinkMonitor(socket, interfaceNames, consumer);
        monitor.thread.start();
        return monitor;
    }

    private void run() {
        int dump = requestDump();
        Set<String> seenInDump = new HashSet<>();
        while (!closed) {
            List<NetlinkMessage> batch;
            try {
                batch = socket.receive("link notifications");
            } catch (LinuxCallFailed e) {
                if (closed) {
                    return;
                }
                if (e.errno() == ENOBUFS) {
                    LOG.warn("link notifications were lost (ENOBUFS); re-reading all links");
                } else {
                    LOG.warn("{}; re-reading all links", e.getMessage());
                    pause();
                }
                dump = requestDump();
                seenInDump.clear();
                continue;
            }
            long now = System.nanoTime();
            for (NetlinkMessage m : batch) {
                if (m.type() == RTM_NEWLINK || m.type() == RTM_DELLINK) {
                    Link link = RtnetlinkCodec.decodeLink(m).orElse(null);
                    if (link == null || !names.contains(link.name())) {
                        continue;
                    }
                    if (m.sequence() == dump && dump != 0) {
                        seenInDump.add(link.name());
                    }
                    boolean gone = m.type() == RTM_DELLINK;
                    report(new LinkStateChanged(link.name(), gone ? 0 : link.index(), !gone && link.isUsable(),
                            gone ? Link.OperState.NOTPRESENT : link.operState(), now));
                } else if ((m.type() == NLMSG_DONE || m.type() == NLMSG_ERROR) && m.sequence() == dump) {
                    for (String name : names) {
                        if (!seenInDump.contains(name)) {
                            report(new LinkStateChanged(name, 0, false, Link.OperState.NOTPRESENT, now));
                        }
                    }
                    dump = 0;
                }
            }
        }
    }

    private int requestDump() {
        int seq = socket.nextSequence();
        try {
            socket.send(RtnetlinkCodec.dumpRequest(RTM_GETLINK, seq), "dump links");
            return seq;
        } catch (LinuxCallFailed e) {
            LOG.error("cannot read links: {}", e.getMessage());
            return 0;
        }
    }

    /** Reports the first state of a name and then only changes of usability or presence. */
    private void report(LinkStateChanged state) {
        LinkStateChanged previous = last.get(state.name());
        if (previous != null && previous.usable() == state.usable() && previous.present() == state.present()) {
            return;
        }
        last.put(state.name(), state);
        try {
            consumer.accept(state);
        } catch (RuntimeException e) {
            LOG.error("link state consumer failed for {}", state, e);
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
                thread.join(5 * READ_WAKE_MILLIS + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        socket.close();
    }
}
