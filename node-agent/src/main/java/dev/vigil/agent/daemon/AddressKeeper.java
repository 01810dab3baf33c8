package dev.vigil.agent.daemon;

import dev.vigil.agent.net.AddressChange;
import dev.vigil.agent.net.Announcer;
import dev.vigil.agent.net.LinuxCallFailed;
import dev.vigil.agent.net.Rtnetlink;
import dev.vigil.agent.net.VirtualAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import dev.vigil.model.AgentFact;
import dev.vigil.model.RouterRef;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Adds and removes VIPs over rtnetlink and sends gratuitous ARPs / unsolicited NAs, on one thread of its own:
 * rtnetlink calls are blocking round trips that must stay off the event loop. Each router's requests are carried out
 * in the order it issued them (an announcement never overtakes its VIP), and only its newest VIP change is: when the
 * thread falls behind a flapping router (a transition storm on a saturated host: ~450 transitions a second over 200
 * routers at advert_int 0.01 s), a newer add or remove replaces the one still waiting, and a removal drops the
 * announcements still waiting from the mastership it ends. So the work waiting is bounded by the number of routers,
 * not by the length of the storm (the unbounded queue grew the heap to its cap, and the full collections that
 * followed fed the storm: bench/RESULTS.md, fifth pass). Each replaced request is counted and reported in a log line
 * at most every 10 s.
 */
final class AddressKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("dev.vigil.agent.vip");
    private static final long SUPERSEDED_LOG_NANOS = 10_000_000_000L;

    private final Rtnetlink rtnetlink;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vip-netlink");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Announcer> announcers = new HashMap<>(); // by device, used on the thread only
    private final Map<RouterRef, Waiting> waiting = new HashMap<>(); // guarded by itself
    private long superseded; // guarded by waiting
    private long supersededLogged; // the thread only
    private long supersededLoggedAt = System.nanoTime() - SUPERSEDED_LOG_NANOS;

    private final Consumer<AgentFact> facts;

    /** A router's VIP change: add, or remove (quietly when absent is normal, at start). */
    private record VipChange(boolean add, List<VirtualAddress> vips, boolean quietIfAbsent) { }

    /** Rounds of announcements sent back to back. */
    private record Announcement(List<VirtualAddress> vips, int rounds, String why) { }

    /** What one router still wants done; {@code removals} counts its removals, so a delayed round can see one. */
    private static final class Waiting {
        VipChange change;
        Announcement announcement;
        boolean queued;
        long removals;
    }

    AddressKeeper(Rtnetlink rtnetlink, Consumer<AgentFact> facts) {
        this.rtnetlink = rtnetlink;
        this.facts = facts;
    }

    void add(RouterRef router, List<VirtualAddress> vips) {
        change(router, new VipChange(true, vips, false));
    }

    void remove(RouterRef router, List<VirtualAddress> vips, boolean quietIfAbsent) {
        change(router, new VipChange(false, vips, quietIfAbsent));
    }

    private void change(RouterRef router, VipChange change) {
        synchronized (waiting) {
            Waiting w = waiting.computeIfAbsent(router, r -> new Waiting());
            if (w.change != null) {
                superseded++;
            }
            w.change = change;
            if (!change.add()) {
                w.removals++;
                if (w.announcement != null) {
                    superseded++; // announcing a VIP being removed would draw traffic to a backup
                    w.announcement = null;
                }
            }
            queue(router, w);
        }
    }

    private void queue(RouterRef router, Waiting w) {
        if (!w.queued) {
            w.queued = true;
            thread.execute(() -> carryOut(router));
        }
    }

    /** On the thread: the router's newest change, then its announcement, taken together. */
    private void carryOut(RouterRef router) {
        VipChange change;
        Announcement announcement;
        long replaced;
        synchronized (waiting) {
            Waiting w = waiting.get(router);
            change = w.change;
            announcement = w.announcement;
            w.change = null;
            w.announcement = null;
            w.queued = false;
            replaced = superseded;
        }
        if (change != null) {
            if (change.add()) {
                addNow(router, change.vips());
            } else {
                removeNow(router, change.vips(), change.quietIfAbsent());
            }
        }
        if (announcement != null) {
            for (int r = 0; r < announcement.rounds(); r++) {
                announceRound(router.instance(), announcement.vips());
            }
        }
        long now = System.nanoTime();
        if (replaced != supersededLogged && now - supersededLoggedAt >= SUPERSEDED_LOG_NANOS) {
            LOG.warn("{} VIP request(s) replaced by a newer one of the same router before the netlink thread reached "
                    + "them ({} in all): the routers changed state faster than VIPs could follow", replaced
                    - supersededLogged, replaced);
            supersededLogged = replaced;
            supersededLoggedAt = now;
        }
    }

    private void addNow(RouterRef router, List<VirtualAddress> vips) {
        String instance = router.instance();
        List<String> problems = new ArrayList<>();
        for (VirtualAddress v : vips) {
            try {
                AddressChange c = rtnetlink.add(v);
                LOG.info("({}) VIP {} {}", instance, v, c == AddressChange.ADDED ? "added" : "was already present");
            } catch (LinuxCallFailed | RuntimeException e) {
                LOG.error("({}) could not add VIP {}: {}", instance, v, e.getMessage());
                problems.add(v.address().getHostAddress() + ": " + e.getMessage());
            }
        }
        report(router, vips, problems, true);
    }

    private void removeNow(RouterRef router, List<VirtualAddress> vips, boolean quietIfAbsent) {
        String instance = router.instance();
        boolean removedAny = false;
        List<String> problems = new ArrayList<>();
        for (VirtualAddress v : vips) {
            try {
                AddressChange c = rtnetlink.remove(v);
                if (c == AddressChange.REMOVED) {
                    LOG.info("({}) VIP {} removed", instance, v);
                    removedAny = true;
                } else if (!quietIfAbsent) {
                    LOG.info("({}) VIP {} was already absent", instance, v);
                }
            } catch (LinuxCallFailed | RuntimeException e) {
                LOG.error("({}) could not remove VIP {}: {}", instance, v, e.getMessage());
                problems.add(v.address().getHostAddress() + ": " + e.getMessage());
            }
        }
        // The start-of-day removal of VIPs that were not there is no fact worth keeping.
        if (removedAny || !problems.isEmpty() || !quietIfAbsent) {
            report(router, vips, problems, false);
        }
    }

    /** One fact per add or remove of an instance's VIPs, saying whether the kernel took every address. */
    private void report(RouterRef router, List<VirtualAddress> vips, List<String> problems, boolean added) {
        if (vips.isEmpty()) {
            return;
        }
        List<String> addresses = vips.stream().map(v -> v.address().getHostAddress()).toList();
        String detail = problems.isEmpty() ? "" : String.join("; ", problems);
        facts.accept(added ? new AgentFact.VipsAdded(router, addresses, problems.isEmpty(), detail)
                : new AgentFact.VipsRemoved(router, addresses, problems.isEmpty(), detail));
    }

    /**
     * {@code rounds} rounds of one GARP/NA per VIP (keepalived's {@code garp_master_repeat}), {@code spacing}
     * apart ({@code garp_interval}); zero spacing sends them back to back, as keepalived does. A newer announcement
     * of the same router replaces one still waiting; a round due after the router removed its VIPs is not sent.
     */
    void announce(RouterRef router, List<VirtualAddress> vips, int rounds, Duration spacing, String why) {
        if (vips.isEmpty() || rounds <= 0) {
            return;
        }
        LOG.debug("({}) announcing {} VIP(s) x{} ({})", router.instance(), vips.size(), rounds, why);
        int now = spacing.isZero() ? rounds : 1;
        long removals;
        synchronized (waiting) {
            Waiting w = waiting.computeIfAbsent(router, r -> new Waiting());
            if (w.announcement != null) {
                superseded++;
            }
            w.announcement = new Announcement(vips, now, why);
            removals = w.removals;
            queue(router, w);
        }
        for (int r = now; r < rounds; r++) {
            thread.schedule(() -> {
                synchronized (waiting) {
                    if (waiting.get(router).removals != removals) {
                        return;
                    }
                }
                announceRound(router.instance(), vips);
            }, spacing.toNanos() * r, TimeUnit.NANOSECONDS);
        }
    }

    private void announceRound(String instance, List<VirtualAddress> vips) {
        Map<String, List<InetAddress>> byDevice = new LinkedHashMap<>();
        for (VirtualAddress v : vips) {
            byDevice.computeIfAbsent(v.device(), d -> new ArrayList<>()).add(v.address());
        }
        byDevice.forEach((device, addresses) -> announceOnce(instance, device, addresses));
    }

    private void announceOnce(String instance, String device, List<InetAddress> addresses) {
        try {
            Announcer a = announcers.get(device);
            if (a == null) {
                a = Announcer.open(device);
                announcers.put(device, a);
            }
            a.announce(addresses);
        } catch (LinuxCallFailed | RuntimeException e) {
            Announcer stale = announcers.remove(device); // reopened next time: the MAC or index may have changed
            if (stale != null) {
                stale.close();
            }
            LOG.warn("({}) announcement on {} failed: {}", instance, device, e.getMessage());
        }
    }

    /** Completes once every request queued so far has been carried out (delayed announcement rounds excepted). */
    CompletableFuture<Void> drained() {
        return CompletableFuture.runAsync(() -> { }, thread);
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(500, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        announcers.values().forEach(Announcer::close);
        announcers.clear();
    }
}
