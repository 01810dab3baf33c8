package dev.vigil.agent.daemon;

import dev.vigil.agent.net.LinuxCallFailed;
import dev.vigil.agent.net.VrrpSocket;
import dev.vigil.agent.notify.NotifyRunner;
import dev.vigil.agent.notify.NotifyScope;
import dev.vigil.agent.notify.NotifyState;
import dev.vigil.agent.vrrp.Advert;
import dev.vigil.agent.vrrp.AdvertCodec;
import dev.vigil.agent.vrrp.IpAddress;
import dev.vigil.agent.vrrp.RouterAction;
import dev.vigil.agent.vrrp.RouterConfig;
import dev.vigil.agent.vrrp.RouterInput;
import dev.vigil.agent.vrrp.RouterState;
import dev.vigil.agent.vrrp.TimerKind;
import dev.vigil.agent.vrrp.VrrpRouter;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.RouterRef;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Runs one {@link VrrpRouter} on the daemon's event loop: feeds it inputs with the monotonic time and carries out
 * its actions in order (adverts on the shared raw socket, VIPs and announcements through the
 * {@link AddressKeeper}, one {@link LoopTimer.Slot} per {@link TimerKind}). Every method runs on the event loop.
 */
final class RouterHost {
    private static final Logger LOG = LoggerFactory.getLogger("dev.vigil.agent.vrrp");

    static {
        // A backup's first timer input is its takeover: the instanceof tests in handle and execute must not load a
        // class from the jar then (1.1 ms measured on a first takeover). Loading them all now costs nothing later.
        RouterInput.class.getPermittedSubclasses();
        RouterAction.class.getPermittedSubclasses();
    }

    private final ConfiguredInstance instance;
    private final VrrpRouter router;
    private final VrrpSocket socket;
    private final AddressKeeper addresses;
    private final Vertx vertx;
    private final LoopTimer.Slot[] slots = new LoopTimer.Slot[TimerKind.values().length];
    private long refreshTimer = -1;
    private long lowerPrioTimer = -1;
    private long sendFailures;
    private final Consumer<AgentFact> facts;
    private final RouterRef ref;
    private final NotifyRunner notify;
    private final SyncGroups groups;
    /**
     * The router's advert ({@link VrrpRouter#advert}) encoded for each destination, ready before it is needed: a
     * takeover's first advert is then only written to the socket, and a master's periodic one allocates no encoding.
     */
    private final java.net.InetAddress[] destinations;
    private final byte[][] encoded;
    private Advert encodedAdvert;

    RouterHost(ConfiguredInstance instance, VrrpRouter router, VrrpSocket socket, AddressKeeper addresses, Vertx vertx,
               LoopTimer timers, Consumer<AgentFact> facts, NotifyRunner notify, SyncGroups groups) {
        this.notify = notify;
        this.groups = groups;
        for (TimerKind k : TimerKind.values()) {
            slots[k.ordinal()] = timers.slot(() -> handle(new RouterInput.TimerFired(k)));
        }
        this.instance = instance;
        this.router = router;
        this.socket = socket;
        this.addresses = addresses;
        this.vertx = vertx;
        this.facts = facts;
        RouterConfig c = router.config();
        this.ref = new RouterRef(c.name(), c.vrid(),
                c.family() == dev.vigil.agent.vrrp.IpFamily.IPV4 ? AddressFamily.IPV4 : AddressFamily.IPV6);
        List<IpAddress> to = c.advertDestinations();
        this.destinations = new java.net.InetAddress[to.size()];
        for (int i = 0; i < destinations.length; i++) {
            destinations[i] = to.get(i).toInetAddress();
        }
        this.encoded = new byte[destinations.length][];
        encodeAhead();
    }

    /** Encodes the router's current advert if it changed (its priority did): after every input, rarely any work. */
    private void encodeAhead() {
        Advert a = router.advert();
        if (a != encodedAdvert) {
            RouterConfig c = router.config();
            List<IpAddress> to = c.advertDestinations();
            for (int i = 0; i < encoded.length; i++) {
                encoded[i] = AdvertCodec.encode(a, c.primaryAddress(), to.get(i), c.v3Ipv4Checksum());
            }
            encodedAdvert = a;
        }
    }

    /** Runs the send path on an invalid descriptor (nothing leaves), so a first takeover runs it compiled. */
    int warmSend(int rounds) {
        return destinations.length == 0 ? 0 : socket.warmSend(destinations[0], encoded[0], rounds);
    }

    VrrpRouter router() {
        return router;
    }

    ConfiguredInstance instance() {
        return instance;
    }

    /** What made the router act; decides how a VIP removal and an announcement are reported. */
    enum Trigger { START, ADVERT, TIMER, OTHER }

    void handle(RouterInput input) {
        Trigger t = input instanceof RouterInput.Start ? Trigger.START
                // a sync group member heard the lower-priority master: announce as if this router had heard it
                : input instanceof RouterInput.AdvertReceived || input instanceof RouterInput.SyncGroupReannounce
                ? Trigger.ADVERT
                : input instanceof RouterInput.TimerFired ? Trigger.TIMER : Trigger.OTHER;
        execute(router.handle(input, System.nanoTime()), t);
    }

    /** Carries out, in order, what the router returned for {@code cause}. */
    void execute(List<RouterAction> actions, Trigger cause) {
        boolean transitioned = false;
        RouterAction.Transition transition = null;
        for (RouterAction a : actions) {
            if (a instanceof RouterAction.SendAdvert s) {
                send(s);
            } else if (a instanceof RouterAction.AddVips v) {
                addresses.add(ref, instance.vipsOf(v.vips()));
            } else if (a instanceof RouterAction.RemoveVips v) {
                // at start the removal is the crash cleanup: absent VIPs are the normal case, not news
                addresses.remove(ref, instance.vipsOf(v.vips()), cause == Trigger.START);
            } else if (a instanceof RouterAction.AnnounceVips v) {
                addresses.announce(ref, instance.vipsOf(v.vips()), v.repeat(), instance.garpInterval(),
                        transitioned ? "takeover" : cause == Trigger.TIMER ? "garp_master_delay"
                                : "lower-priority master heard");
                if (!transitioned && cause == Trigger.ADVERT) {
                    scheduleLowerPrioRepeat(v.vips(), v.repeat());
                }
            } else if (a instanceof RouterAction.ArmTimer t) {
                arm(t.kind(), t.deadlineNanos());
            } else if (a instanceof RouterAction.CancelTimer t) {
                cancel(t.kind());
            } else if (a instanceof RouterAction.Transition t) {
                transitioned = true;
                transition = t; // reported after the wire actions: a takeover's first advert must not wait for a log line
            } else if (a instanceof RouterAction.PriorityChanged p) {
                LOG.info("({}) priority {} -> {}: {}", name(), p.from(), p.to(), p.cause());
                facts.accept(new AgentFact.PriorityChanged(ref, p.from(), p.to(), p.cause()));
            }
        }
        if (transition != null) {
            report(transition);
        }
        groups.observe(this, actions); // after our own actions: the other members of a sync group follow
        encodeAhead();
    }

    private String name() {
        return instance.name();
    }

    private void send(RouterAction.SendAdvert s) {
        RouterConfig c = router.config();
        boolean ready = s.advert() == encodedAdvert; // else a priority-0 advert, or the priority just changed
        for (int i = 0; i < destinations.length; i++) {
            byte[] message = ready ? encoded[i]
                    : AdvertCodec.encode(s.advert(), c.primaryAddress(), c.advertDestinations().get(i), c.v3Ipv4Checksum());
            try {
                socket.send(destinations[i], message);
            } catch (LinuxCallFailed e) {
                // a down link refuses every advert: say it once, then every thousandth time
                if (sendFailures++ % 1000 == 0) {
                    LOG.warn("({}) advert not sent ({} so far): {}", name(), sendFailures, e.getMessage());
                }
            }
        }
        if (s.advert().priority() == 0) {
            LOG.info("({}) sent 0 priority", name());
        }
    }

    private void arm(TimerKind kind, long deadlineNanos) {
        slots[kind.ordinal()].arm(deadlineNanos);
    }

    private void cancel(TimerKind kind) {
        slots[kind.ordinal()].cancel();
    }

    /** keepalived's garp_lower_prio_delay: the re-announcement after a healed split is made again once later. */
    private void scheduleLowerPrioRepeat(List<IpAddress> vips, int repeat) {
        Duration delay = instance.source().garp().lowerPrioDelay();
        if (delay.isZero() || lowerPrioTimer >= 0) {
            return;
        }
        lowerPrioTimer = vertx.setTimer(Math.max(1, delay.toMillis()), id -> {
            lowerPrioTimer = -1;
            if (router.state() == RouterState.MASTER) {
                addresses.announce(ref, instance.vipsOf(vips), repeat, instance.garpInterval(), "garp_lower_prio_delay");
            }
        });
    }

    /** keepalived's names: a router that leaves for INITIALIZE at shutdown is STOPped. */
    private static dev.vigil.model.RouterState factState(RouterState s, dev.vigil.agent.vrrp.TransitionReason reason) {
        return switch (s) {
            case INITIALIZE -> reason == dev.vigil.agent.vrrp.TransitionReason.SHUTDOWN
                    ? dev.vigil.model.RouterState.STOP : dev.vigil.model.RouterState.INIT;
            case BACKUP -> dev.vigil.model.RouterState.BACKUP;
            case MASTER -> dev.vigil.model.RouterState.MASTER;
            case FAULT -> dev.vigil.model.RouterState.FAULT;
        };
    }

    private void report(RouterAction.Transition t) {
        String cause = t.cause(); // formatted now, after the wire actions (CauseText)
        LOG.info("({}) {} -> {} [{}]: {}", name(), t.from(), t.to(), t.reason(), cause);
        var view = router.view();
        facts.accept(new AgentFact.RouterStateChanged(ref, factState(t.from(), t.reason()), factState(t.to(), t.reason()),
                cause, router.config().priority(), view.effectivePriority(),
                view.master().map(Object::toString)));
        notifyScripts(t, view.effectivePriority());
        switch (t.to()) {
            case MASTER -> LOG.info("({}) Entering MASTER STATE", name());
            case BACKUP -> LOG.info("({}) Entering BACKUP STATE{}", name(),
                    t.from() == RouterState.INITIALIZE ? " (init)" : "");
            case FAULT -> LOG.info("({}) Entering FAULT STATE", name());
            default -> LOG.info("({}) Stopped", name());
        }
        if (t.to() == RouterState.MASTER) {
            startRefresh();
        } else if (t.from() == RouterState.MASTER) {
            stopTimers();
        }
    }

    /** keepalived's notify for the state entered (a shutdown is STOP); queued, never waited for here. */
    private void notifyScripts(RouterAction.Transition t, int priority) {
        NotifyState state = switch (t.to()) {
            case MASTER -> NotifyState.MASTER;
            case BACKUP -> NotifyState.BACKUP;
            case FAULT -> NotifyState.FAULT;
            case INITIALIZE -> t.reason() == dev.vigil.agent.vrrp.TransitionReason.SHUTDOWN ? NotifyState.STOP : null;
        };
        if (state != null) {
            notify.transition(NotifyScope.INSTANCE, name(), state, priority);
        }
    }

    /** garp_master_refresh: periodic announcements while master (the router does not schedule these). */
    private void startRefresh() {
        Duration every = instance.source().garp().masterRefresh();
        if (every.isZero() || refreshTimer >= 0) {
            return;
        }
        int repeat = instance.source().garp().masterRefreshRepeat();
        refreshTimer = vertx.setPeriodic(Math.max(1, every.toMillis()), id -> addresses.announce(ref,
                List.copyOf(instance.vips().values()), repeat, instance.garpInterval(), "garp_master_refresh"));
    }

    private void stopTimers() {
        if (refreshTimer >= 0) {
            vertx.cancelTimer(refreshTimer);
            refreshTimer = -1;
        }
        if (lowerPrioTimer >= 0) {
            vertx.cancelTimer(lowerPrioTimer);
            lowerPrioTimer = -1;
        }
    }

    /** A reload stopped this router for good: no timer of its own may fire any more. */
    void retire() {
        for (LoopTimer.Slot slot : slots) {
            slot.cancel();
        }
        stopTimers();
    }
}
