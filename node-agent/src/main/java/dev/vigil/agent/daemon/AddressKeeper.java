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
import java.util.ArrayList;
import dev.vigil.model.AgentFact;
import dev.vigil.model.RouterRef;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Adds and removes VIPs over rtnetlink and sends gratuitous ARPs / unsolicited NAs, on one thread of its own:
 * rtnetlink calls are blocking round trips that must stay off the event loop, and one thread keeps every
 * instance's requests in the order the routers issued them (an announcement never overtakes its VIP).
 */
final class AddressKeeper implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger("dev.vigil.agent.vip");

    private final Rtnetlink rtnetlink;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "vip-netlink");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Announcer> announcers = new HashMap<>(); // by device, used on the thread only

    private final Consumer<AgentFact> facts;

    AddressKeeper(Rtnetlink rtnetlink, Consumer<AgentFact> facts) {
        this.rtnetlink = rtnetlink;
        this.facts = facts;
    }

    void add(RouterRef router, List<VirtualAddress> vips) {
        String instance = router.instance();
        thread.execute(() -> {
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
        });
    }

    void remove(RouterRef router, List<VirtualAddress> vips, boolean quietIfAbsent) {
        String instance = router.instance();
        thread.execute(() -> {
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
        });
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
     * apart ({@code garp_interval}); zero spacing sends them back to back, as keepalived does.
     */
    void announce(String instance, List<VirtualAddress> vips, int rounds, Duration spacing, String why) {
        if (vips.isEmpty() || rounds <= 0) {
            return;
        }
        Map<String, List<InetAddress>> byDevice = new LinkedHashMap<>();
        for (VirtualAddress v : vips) {
            byDevice.computeIfAbsent(v.device(), d -> new ArrayList<>()).add(v.address());
        }
        LOG.debug("({}) announcing {} VIP(s) x{} ({})", instance, vips.size(), rounds, why);
        for (int r = 0; r < rounds; r++) {
            long delayNanos = spacing.toNanos() * r;
            Runnable round = () -> byDevice.forEach((device, addresses) -> announceOnce(instance, device, addresses));
            if (delayNanos == 0) {
                thread.execute(round);
            } else {
                thread.schedule(round, delayNanos, TimeUnit.NANOSECONDS);
            }
        }
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
