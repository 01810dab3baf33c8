package dev.vigil.agent.vrrp;

import dev.vigil.agent.vrrp.RouterAction.AddVips;
import dev.vigil.agent.vrrp.RouterAction.AnnounceVips;
import dev.vigil.agent.vrrp.RouterAction.ArmTimer;
import dev.vigil.agent.vrrp.RouterAction.CancelTimer;
import dev.vigil.agent.vrrp.RouterAction.MasterWanted;
import dev.vigil.agent.vrrp.RouterAction.OwnFaultChanged;
import dev.vigil.agent.vrrp.RouterAction.PriorityChanged;
import dev.vigil.agent.vrrp.RouterAction.RemoveVips;
import dev.vigil.agent.vrrp.RouterAction.SendAdvert;
import dev.vigil.agent.vrrp.RouterAction.Transition;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * One VRRP virtual router (one {@code vrrp_instance}): the RFC 5798 §6.4 state machine with
 * keepalived's FAULT state and its deviations (answering a lower-priority master, preempt_delay,
 * tracker weights). Pure: it owns no socket, clock, thread or randomness; the shell calls
 * {@link #handle} with an input and the current monotonic time (nanoseconds) and carries out the
 * returned actions in order. Not thread-safe: one event loop owns it.
 */
public final class VrrpRouter {
    private static final long NONE = Long.MIN_VALUE;

    private final RouterConfig config;
    private final Advert baseAdvert;
    private final Map<String, TrackerSpec> trackers = new HashMap<>();
    private final Set<String> failedTrackers = new HashSet<>();
    /** Trackers whose contribution was set directly (track_file); a fault is kept in {@link #failedTrackers}. */
    private final Map<String, Integer> contributions = new HashMap<>();
    private final long[] deadlines = new long[TimerKind.values().length];
    private final DropCounters drops = new DropCounters();
    private final List<RouterAction> scratch = new ArrayList<>(16); // reused: the router is single-threaded

    private RouterState state = RouterState.INITIALIZE;
    private boolean interfaceUp = true;
    private int effectivePriority;
    private Advert advert;
    private int masterAdverIntervalCentis;
    private long backupSince;
    private long downTimerResetAt;
    private boolean downTimerIsSkew;
    private IpAddress masterAddress;
    private int masterPriority;
    private long masterHeardAt;
    private IpAddress lowerMaster;
    private int lowerMasterPriority;
    private long preemptAllowedAt = NONE;
    /** Sync group members: the group holds this router in FAULT (another member's fault); null = not. */
    private String groupFault;
    /** Sync group members: the master-down timer expired and the group has not let us become master yet. */
    private boolean wantsMaster;
    /**
     * In FAULT with the link up the router still hears adverts ({@link RouterConfig#faultTakeover}): since when it
     * has listened (NONE: not listening), when it last heard a valid advert (NONE: none), and that advert's interval.
     */
    private long faultListeningSince = NONE;
    private long faultHeardAt = NONE;
    private int faultHeardIntervalCentis;

    private long advertsReceived;
    private long advertsSent;
    private long becameMaster;
    private long releasedMaster;
    private long priorityZeroReceived;
    private long priorityZeroSent;

    public VrrpRouter(RouterConfig config) {
        this.config = config;
        for (TrackerSpec t : config.trackers()) {
            trackers.put(t.name(), t);
        }
        java.util.Arrays.fill(deadlines, NONE);
        this.baseAdvert = new Advert(config.version(), config.family(), config.vrid(), config.priority(),
                config.advertIntervalCentis(), config.vips(), config.auth().type().wire(), config.auth().data());
        this.effectivePriority = computeEffectivePriority(); // trackers start OK, positive weights count
        this.advert = baseAdvert.withPriority(effectivePriority);
        this.masterAdverIntervalCentis = config.advertIntervalCentis();
    }

    public RouterConfig config() {
        return config;
    }

    public RouterState state() {
        return state;
    }

    /**
     * The advert this router sends as master at its effective priority now: the same object until that priority
     * changes, so a host may encode it ahead of a takeover.
     */
    public Advert advert() {
        return advert;
    }

    public int effectivePriority() {
        return effectivePriority;
    }

    /** Master_Down_Interval as this router computes it now (v3 backups use the master's interval). */
    public long masterDownIntervalNanos() {
        return MasterDownTimer.masterDownIntervalNanos(config.version(), effectivePriority, masterAdverIntervalCentis,
                config.downTimerAdverts());
    }

    public OptionalLong deadline(TimerKind kind) {
        long d = deadlines[kind.ordinal()];
        return d == NONE ? OptionalLong.empty() : OptionalLong.of(d);
    }

    public RouterView view() {
        Map<TimerKind, Long> armed = new EnumMap<>(TimerKind.class);
        for (TimerKind k : TimerKind.values()) {
            if (deadlines[k.ordinal()] != NONE) {
                armed.put(k, deadlines[k.ordinal()]);
            }
        }
        return new RouterView(state, effectivePriority, masterAdverIntervalCentis, Optional.ofNullable(masterAddress),
                masterPriority, Collections.unmodifiableMap(armed));
    }

    public RouterCounters counters() {
        return new RouterCounters(advertsReceived, advertsSent, becameMaster, releasedMaster, priorityZeroReceived,
                priorityZeroSent, drops.snapshot());
    }

    /** Drops found by this router's checks (the decoder's own drops are counted by whoever decodes). */
    public DropCounters drops() {
        return drops;
    }

    /** Feeds one input at monotonic time {@code now}; returns what the shell must do, in order. */
    public List<RouterAction> handle(RouterInput input, long now) {
        List<RouterAction> out = scratch;
        out.clear();
        boolean reportsFaults = config.syncGroup().isPresent() && (input instanceof RouterInput.TrackerChanged
                || input instanceof RouterInput.TrackerContributionChanged || input instanceof RouterInput.InterfaceChanged);
        String ownFaultBefore = reportsFaults ? ownFaultCause() : null;
        if (input instanceof RouterInput.AdvertReceived r) {
            onAdvert(r.packet(), now, out);
        } else if (input instanceof RouterInput.TimerFired t) {
            onTimer(t.kind(), now, out);
        } else if (input instanceof RouterInput.Start) {
            if (state == RouterState.INITIALIZE) {
                out.add(new RemoveVips(config.vips())); // what a crashed run may have left (keepalived does this)
                enterRunning(now, TransitionReason.START, "start", out);
            }
        } else if (input instanceof RouterInput.TrackerChanged t) {
            onTracker(t.tracker(), t.ok(), now, out);
        } else if (input instanceof RouterInput.TrackerContributionChanged c) {
            onContribution(c.tracker(), c.fault(), c.delta(), now, out);
        } else if (input instanceof RouterInput.InterfaceChanged i) {
            onInterface(i.up(), now, out);
        } else if (input instanceof RouterInput.ShutdownRequested) {
            onShutdown(now, out);
        } else if (input instanceof RouterInput.SyncGroupMaster m) {
            onGroupMaster(m.cause(), now, out);
        } else if (input instanceof RouterInput.SyncGroupBackup b) {
            onGroupBackup(b.cause(), now, out);
        } else if (input instanceof RouterInput.SyncGroupFault f) {
            onGroupFault(f.fault(), f.cause(), now, out);
        } else if (input instanceof RouterInput.SyncGroupReannounce) {
            if (state == RouterState.MASTER && config.garpLowerPrioRepeat() > 0) {
                out.add(new AnnounceVips(config.vips(), config.garpLowerPrioRepeat()));
            }
        }
        if (reportsFaults) {
            String after = ownFaultCause();
            if ((ownFaultBefore == null) != (after == null)) {
                out.add(new OwnFaultChanged(after != null, after != null ? after : recovery(input)));
            }
        }
        List<RouterAction> actions = switch (out.size()) { // immutable, without List.copyOf's array copy
            case 0 -> List.of();
            case 1 -> List.of(out.get(0));
            case 2 -> List.of(out.get(0), out.get(1));
            default -> List.copyOf(out);
        };
        out.clear();
        return actions;
    }

    // ---------------------------------------------------------------- adverts

    private void onAdvert(ReceivedAdvert p, long now, List<RouterAction> out) {
        DropReason reason = check(p);
        if (reason == DropReason.NOT_LISTENING && faultListeningSince != NONE && state == RouterState.FAULT
                && validate(p) == null) {
            // dropped as before, but remembered: someone is master, or was until a moment ago
            faultHeardAt = now;
            faultHeardIntervalCentis = p.advert().version() == VrrpVersion.V3 ? p.advert().intervalCentis()
                    : config.advertIntervalCentis();
        }
        if (reason != null) {
            drops.count(reason);
            return;
        }
        Advert a = p.advert();
        advertsReceived++;
        if (a.priority() == 0) {
            priorityZeroReceived++;
        }
        if (state == RouterState.BACKUP) {
            backupReceives(a, p.source(), now, out);
        } else {
            masterReceives(a, p.source(), now, out);
        }
    }

    /** RFC 5798 §7.1 checks that need this router's configuration and state; null when the advert is valid. */
    private DropReason check(ReceivedAdvert p) {
        Advert a = p.advert();
        if (state != RouterState.BACKUP && state != RouterState.MASTER) {
            return DropReason.NOT_LISTENING;
        }
        return validate(p);
    }

    /** The checks of {@link #check} after the state's. */
    private DropReason validate(ReceivedAdvert p) {
        Advert a = p.advert();
        if (a.vrid() != config.vrid()) {
            return DropReason.UNKNOWN_VRID;
        }
        if (a.family() != config.family()) {
            return DropReason.FAMILY_MISMATCH;
        }
        if (!config.unicast() && p.ttl() != 255) {
            return DropReason.TTL_NOT_255;
        }
        if (a.version() != config.version()) {
            return DropReason.VERSION_MISMATCH;
        }
        if (a.version() == VrrpVersion.V3 && a.family() == IpFamily.IPV4
                && !config.v3Ipv4Checksum().accepts(p.checksumForm())) {
            return DropReason.CHECKSUM_FORM_MISMATCH;
        }
        if (a.version() == VrrpVersion.V2) {
            if (a.authType() != config.auth().type().wire()) {
                return DropReason.AUTH_TYPE_MISMATCH;
            }
            if (config.auth().type() == Authentication.AuthType.PASS && a.authData() != config.auth().data()) {
                return DropReason.AUTH_FAILURE;
            }
            if (a.intervalCentis() != config.advertIntervalCentis()) {
                return DropReason.INTERVAL_MISMATCH;
            }
        }
        if (p.destination().isMulticast() == config.unicast()) {
            return DropReason.DESTINATION_MISMATCH;
        }
        if (p.source().equals(config.primaryAddress())) {
            return DropReason.OWN_ADVERT;
        }
        if (config.addressOwner() && config.ownerIgnoresAdverts()) {
            return DropReason.OWNER_IGNORES;
        }
        if (config.unicast() && config.checkUnicastSource() && !config.unicastPeers().contains(p.source())) {
            return DropReason.UNKNOWN_PEER;
        }
        if (config.checkAdvertAddresses() && !sameAddresses(a.addresses(), config.vips())) {
            return DropReason.ADDRESS_LIST_MISMATCH;
        }
        return null;
    }

    private static boolean sameAddresses(List<IpAddress> received, List<IpAddress> ours) {
        if (received.size() != ours.size()) {
            return false;
        }
        for (int i = 0; i < ours.size(); i++) {
            if (!received.contains(ours.get(i))) {
                return false;
            }
        }
        return true;
    }

    /** RFC 5798 §6.4.2, with keepalived's preempt_delay. */
    private void backupReceives(Advert a, IpAddress source, long now, List<RouterAction> out) {
        if (a.priority() == 0) {
            hear(source, 0, now);
            downTimerIsSkew = true;
            arm(TimerKind.MASTER_DOWN, now + MasterDownTimer.skewNanos(config.version(), effectivePriority,
                    masterAdverIntervalCentis), out);
            return;
        }
        boolean atLeastOurs = a.priority() >= effectivePriority;
        if (!config.preempt() || atLeastOurs || preemptionDeferred(now)) {
            if (config.version() == VrrpVersion.V3) {
                masterAdverIntervalCentis = a.intervalCentis();
            }
            hear(source, a.priority(), now);
            if (atLeastOurs) {
                lowerMaster = null;
            }
            if (wantsMaster) { // keepalived: "Now we have received a backup, we want to be in BACKUP state"
                wantsMaster = false;
                out.add(new MasterWanted(false, "heard " + source + " with priority " + a.priority()));
            }
            restartDownTimer(now, out);
        } else {
            // discard: the down timer runs out and we preempt the lower-priority master
            lowerMaster = source;
            lowerMasterPriority = a.priority();
        }
    }

    private boolean preemptionDeferred(long now) {
        if (config.preemptDelay().isZero()) {
            return false;
        }
        if (preemptAllowedAt == NONE) {
            preemptAllowedAt = now + config.preemptDelay().toNanos();
        }
        return now < preemptAllowedAt;
    }

    /** RFC 5798 §6.4.3, with keepalived's answer to a lower-priority master. */
    private void masterReceives(Advert a, IpAddress source, long now, List<RouterAction> out) {
        if (a.priority() == 0) {
            send(advert, out);
            arm(TimerKind.ADVERT, now + MasterDownTimer.intervalNanos(config.advertIntervalCentis()), out);
            return;
        }
        boolean equal = a.priority() == effectivePriority;
        if (a.priority() > effectivePriority || (equal && source.compareTo(config.primaryAddress()) > 0)) {
            if (config.higherPrioSendAdvert()) {
                send(advert, out); // lets the winner hear us and re-announce (keepalived #542)
            }
            out.add(new Transition(RouterState.MASTER, RouterState.BACKUP, TransitionReason.PREEMPTED,
                    "preempted by " + source + " with priority " + a.priority()
                            + (equal ? " (equal priority, higher address)" : ""), now));
            state = RouterState.BACKUP;
            releasedMaster++;
            cancel(TimerKind.ADVERT, out);
            cancel(TimerKind.GARP_REPEAT, out);
            out.add(new RemoveVips(config.vips()));
            if (config.version() == VrrpVersion.V3) {
                masterAdverIntervalCentis = a.intervalCentis();
            }
            backupSince = now;
            lowerMaster = null;
            preemptAllowedAt = NONE;
            hear(source, a.priority(), now);
            restartDownTimer(now, out);
        } else {
            // RFC 5798 says discard; keepalived answers at once so the other master hears who wins
            if (!config.lowerPrioNoAdvert()) {
                send(advert, out);
            }
            if (config.garpLowerPrioRepeat() > 0) {
                out.add(new AnnounceVips(config.vips(), config.garpLowerPrioRepeat()));
            }
            if (config.syncGroup().isPresent()) {
                out.add(new RouterAction.LowerPriorityMasterHeard(source, a.priority()));
            }
        }
    }

    private void hear(IpAddress source, int priority, long now) {
        masterAddress = source;
        masterPriority = priority;
        masterHeardAt = now;
    }

    // ---------------------------------------------------------------- timers

    private void onTimer(TimerKind kind, long now, List<RouterAction> out) {
        long deadline = deadlines[kind.ordinal()];
        if (deadline == NONE) {
            return; // cancelled or already handled: a stale wake-up
        }
        if (now < deadline) {
            out.add(new ArmTimer(kind, deadline)); // early wake-up: keep waiting
            return;
        }
        deadlines[kind.ordinal()] = NONE;
        switch (kind) {
            case MASTER_DOWN -> {
                if (state == RouterState.BACKUP && config.syncGroup().isPresent()) {
                    // keepalived's vrrp_sync_can_goto_master: the group decides; meanwhile stay BACKUP, timer re-armed
                    wantsMaster = true;
                    out.add(new MasterWanted(true, masterDownCause(now).text()));
                    restartDownTimer(now, out);
                } else if (state == RouterState.BACKUP) {
                    becomeMaster(now, TransitionReason.MASTER_DOWN_TIMER_EXPIRED, masterDownCause(now), out);
                }
            }
            case ADVERT -> {
                if (state == RouterState.MASTER) {
                    send(advert, out);
                    arm(TimerKind.ADVERT, now + MasterDownTimer.intervalNanos(config.advertIntervalCentis()), out);
                }
            }
            case GARP_REPEAT -> {
                if (state == RouterState.MASTER) {
                    out.add(new AnnounceVips(config.vips(), config.garpMasterRepeat()));
                }
            }
        }
    }

    /** Formatted later (a takeover's advert goes first), from the values as they are now. */
    private CauseText masterDownCause(long now) {
        IpAddress master = masterAddress;
        int priority = masterPriority;
        long since = master == null ? now - backupSince : now - masterHeardAt;
        IpAddress lower = lowerMaster;
        int lowerPriority = lowerMasterPriority;
        return CauseText.later(() -> {
            StringBuilder s = new StringBuilder("master-down timer expired ");
            if (master == null) {
                s.append("with no advert accepted in ").append(millis(since)).append(" ms since entering BACKUP");
            } else if (priority == 0) {
                s.append(millis(since)).append(" ms (skew time) after ").append(master)
                        .append(" resigned with a priority-0 advert");
            } else {
                s.append(millis(since)).append(" ms after the last advert from ").append(master)
                        .append(" (priority ").append(priority).append(')');
            }
            if (lower != null) {
                s.append("; preempting ").append(lower).append(" with lower priority ").append(lowerPriority);
            }
            return s.toString();
        });
    }

    private static long millis(long nanos) {
        return Math.round(nanos / 1e6);
    }

    private void restartDownTimer(long now, List<RouterAction> out) {
        downTimerResetAt = now;
        downTimerIsSkew = false;
        arm(TimerKind.MASTER_DOWN, now + masterDownIntervalNanos(), out);
    }

    private void arm(TimerKind kind, long deadline, List<RouterAction> out) {
        deadlines[kind.ordinal()] = deadline;
        out.add(new ArmTimer(kind, deadline));
    }

    private void cancel(TimerKind kind, List<RouterAction> out) {
        if (deadlines[kind.ordinal()] != NONE) {
            deadlines[kind.ordinal()] = NONE;
            out.add(new CancelTimer(kind));
        }
    }

    private void cancelAll(List<RouterAction> out) {
        for (TimerKind k : TimerKind.values()) {
            cancel(k, out);
        }
    }

    // ---------------------------------------------------------------- transitions

    /** Leave INITIALIZE or FAULT: FAULT again if something is still broken, else MASTER (owner) or BACKUP. */
    private void enterRunning(long now, TransitionReason reason, String cause, List<RouterAction> out) {
        wantsMaster = false;
        String fault = faultCause();
        if (fault != null) {
            if (state != RouterState.FAULT) {
                out.add(new Transition(state, RouterState.FAULT, reason != TransitionReason.START ? reason
                        : !interfaceUp ? TransitionReason.INTERFACE_DOWN
                        : ownFaultCause() == null ? TransitionReason.SYNC_GROUP : TransitionReason.TRACKER_FAILED,
                        fault + " at " + cause, now));
                state = RouterState.FAULT;
                listenInFault(now);
            }
            return;
        }
        if (config.addressOwner()) {
            becomeMaster(now, reason, CauseText.of(cause + " as address owner (priority 255)"), out);
            return;
        }
        long heardFrom = NONE; // when leaving FAULT: the Master_Down timer has been running since then
        int heardInterval = config.advertIntervalCentis();
        if (state == RouterState.FAULT && faultListeningSince != NONE) {
            heardFrom = Math.max(faultListeningSince, faultHeardAt);
            heardInterval = faultHeardAt != NONE ? faultHeardIntervalCentis : heardInterval;
        }
        masterAdverIntervalCentis = heardInterval;
        // a sync group member never takes over alone: its timer, armed in the past below, asks the group at once
        if (heardFrom != NONE && now - heardFrom >= masterDownIntervalNanos() && config.syncGroup().isEmpty()) {
            becomeMaster(now, reason, CauseText.of(cause + "; no advert heard for " + millis(now - heardFrom)
                    + " ms in FAULT (Master_Down_Interval " + millis(masterDownIntervalNanos()) + " ms)"), out);
            return;
        }
        out.add(new Transition(state, RouterState.BACKUP, reason, cause, now));
        state = RouterState.BACKUP;
        backupSince = now;
        masterAddress = null;
        lowerMaster = null;
        preemptAllowedAt = NONE;
        restartDownTimer(heardFrom != NONE ? heardFrom : now, out);
    }

    /** Entering FAULT, or its link changed while in FAULT: listening starts now if the link is up. */
    private void listenInFault(long now) {
        faultListeningSince = config.faultTakeover() && interfaceUp ? now : NONE;
        faultHeardAt = NONE;
    }

    private void becomeMaster(long now, TransitionReason reason, CauseText cause, List<RouterAction> out) {
        out.add(new Transition(state, RouterState.MASTER, reason, cause, now));
        state = RouterState.MASTER;
        wantsMaster = false;
        becameMaster++;
        masterAdverIntervalCentis = config.advertIntervalCentis();
        masterAddress = null;
        lowerMaster = null;
        preemptAllowedAt = NONE;
        cancel(TimerKind.MASTER_DOWN, out);
        send(advert, out); // first, so that the old master drops the VIPs before we announce them (keepalived)
        out.add(new AddVips(config.vips(), config.acceptMode()));
        if (config.garpMasterRepeat() > 0) {
            out.add(new AnnounceVips(config.vips(), config.garpMasterRepeat()));
            if (!config.garpMasterDelay().isZero()) {
                arm(TimerKind.GARP_REPEAT, now + config.garpMasterDelay().toNanos(), out);
            }
        }
        arm(TimerKind.ADVERT, now + MasterDownTimer.intervalNanos(config.advertIntervalCentis()), out);
    }

    private void enterFault(long now, TransitionReason reason, String cause, List<RouterAction> out) {
        out.add(new Transition(state, RouterState.FAULT, reason, cause, now));
        leaveMaster(reason != TransitionReason.INTERFACE_DOWN, out);
        state = RouterState.FAULT;
        wantsMaster = false;
        listenInFault(now);
        cancelAll(out);
    }

    /** Resign if master: a priority-0 advert (when the link can carry it) and the VIPs removed. */
    private void leaveMaster(boolean resign, List<RouterAction> out) {
        if (state != RouterState.MASTER) {
            return;
        }
        if (resign) {
            send(advert.withPriority(0), out);
            priorityZeroSent++;
        }
        out.add(new RemoveVips(config.vips()));
        releasedMaster++;
    }

    private void onShutdown(long now, List<RouterAction> out) {
        if (state == RouterState.INITIALIZE) {
            return;
        }
        out.add(new Transition(state, RouterState.INITIALIZE, TransitionReason.SHUTDOWN, "shutdown", now));
        leaveMaster(true, out);
        state = RouterState.INITIALIZE;
        wantsMaster = false;
        cancelAll(out);
    }

    private void onInterface(boolean up, long now, List<RouterAction> out) {
        if (up == interfaceUp) {
            return;
        }
        interfaceUp = up;
        if (state == RouterState.FAULT) {
            listenInFault(now);
        }
        if (!up && (state == RouterState.BACKUP || state == RouterState.MASTER)) {
            enterFault(now, TransitionReason.INTERFACE_DOWN, "interface down", out);
        } else if (up && state == RouterState.FAULT) {
            enterRunning(now, TransitionReason.INTERFACE_UP, "interface up", out);
        }
    }

    private void onTracker(String name, boolean ok, long now, List<RouterAction> out) {
        TrackerSpec spec = trackers.get(name);
        if (spec == null || (ok ? !failedTrackers.remove(name) : !failedTrackers.add(name))) {
            return; // not ours, or no change
        }
        String verb = ok ? "recovered" : "failed";
        if (spec.weight() == 0) {
            if (!ok && (state == RouterState.BACKUP || state == RouterState.MASTER)) {
                enterFault(now, TransitionReason.TRACKER_FAILED, "tracker " + name + " failed", out);
            } else if (ok && state == RouterState.FAULT) {
                enterRunning(now, TransitionReason.TRACKER_RECOVERED, "tracker " + name + " recovered", out);
            }
            return;
        }
        recomputePriority("tracker " + name + " " + verb + " (weight " + spec.weight() + ")", out);
    }

    private void onContribution(String name, boolean fault, int delta, long now, List<RouterAction> out) {
        if (!trackers.containsKey(name)) {
            return;
        }
        contributions.put(name, fault ? 0 : delta); // in FAULT the priority does not matter
        boolean wasFault = !fault ? failedTrackers.remove(name) : !failedTrackers.add(name);
        if (fault && !wasFault && (state == RouterState.BACKUP || state == RouterState.MASTER)) {
            enterFault(now, TransitionReason.TRACKER_FAILED, "tracker " + name + " failed", out);
        } else if (!fault && wasFault && state == RouterState.FAULT) {
            // the priority first: leaving FAULT may mean MASTER at once (faultTakeover), whose advert must carry it
            recomputePriority("tracker " + name + " contributes " + delta, out);
            enterRunning(now, TransitionReason.TRACKER_RECOVERED, "tracker " + name + " recovered", out);
            return;
        }
        recomputePriority("tracker " + name + " contributes " + delta, out); // nothing when unchanged
    }

    private void recomputePriority(String cause, List<RouterAction> out) {
        int before = effectivePriority;
        effectivePriority = computeEffectivePriority();
        if (effectivePriority == before) {
            return;
        }
        advert = baseAdvert.withPriority(effectivePriority); // goes out with the next periodic advert
        out.add(new PriorityChanged(before, effectivePriority, cause));
        if (state == RouterState.BACKUP && !downTimerIsSkew && deadlines[TimerKind.MASTER_DOWN.ordinal()] != NONE) {
            // keepalived shifts the pending deadline to the new Master_Down_Interval
            arm(TimerKind.MASTER_DOWN, downTimerResetAt + masterDownIntervalNanos(), out);
        }
    }

    /** base + weights, clamped to 1..254; the address owner (255) is never adjusted (keepalived). */
    private int computeEffectivePriority() {
        if (config.addressOwner()) {
            return 255;
        }
        int total = config.priority();
        for (TrackerSpec t : config.trackers()) {
            boolean failed = failedTrackers.contains(t.name());
            Integer set = contributions.get(t.name());
            if (set != null) {
                total += set;
            } else if (t.weight() > 0 && !failed) {
                total += t.weight();
            } else if (t.weight() < 0 && failed) {
                total += t.weight();
            }
        }
        return Math.max(1, Math.min(254, total));
    }

    /** What holds the router in FAULT: its own cause first, else its sync group's; null = nothing. */
    private String faultCause() {
        String own = ownFaultCause();
        return own != null ? own : groupFault;
    }

    /** The router's own fault: its interface or a FAULT-only tracker; null = none. */
    private String ownFaultCause() {
        if (!interfaceUp) {
            return "interface down";
        }
        for (TrackerSpec t : config.trackers()) {
            if ((t.weight() == 0 || contributions.containsKey(t.name())) && failedTrackers.contains(t.name())) {
                return "tracker " + t.name() + " failed";
            }
        }
        return null;
    }

    // ---------------------------------------------------------------- sync group (keepalived vrrp_sync.c)

    private static String recovery(RouterInput input) {
        if (input instanceof RouterInput.TrackerChanged t) {
            return "tracker " + t.tracker() + " recovered";
        }
        if (input instanceof RouterInput.TrackerContributionChanged c) {
            return "tracker " + c.tracker() + " recovered";
        }
        return "interface up";
    }

    private void onGroupMaster(String cause, long now, List<RouterAction> out) {
        if (state != RouterState.BACKUP) {
            return;
        }
        if (wantsMaster) {
            CauseText expired = masterDownCause(now);
            becomeMaster(now, TransitionReason.MASTER_DOWN_TIMER_EXPIRED,
                    CauseText.later(() -> expired.text() + " (" + cause + ")"), out);
        } else {
            becomeMaster(now, TransitionReason.SYNC_GROUP, CauseText.of(cause), out);
        }
    }

    /** keepalived's vrrp_state_leave_master(isync, false): no priority-0 advert, the VIPs go, a full down timer. */
    private void onGroupBackup(String cause, long now, List<RouterAction> out) {
        if (state != RouterState.MASTER) {
            return;
        }
        out.add(new Transition(RouterState.MASTER, RouterState.BACKUP, TransitionReason.SYNC_GROUP, cause, now));
        state = RouterState.BACKUP;
        releasedMaster++;
        cancel(TimerKind.ADVERT, out);
        cancel(TimerKind.GARP_REPEAT, out);
        out.add(new RemoveVips(config.vips()));
        masterAdverIntervalCentis = config.advertIntervalCentis();
        backupSince = now;
        masterAddress = null;
        lowerMaster = null;
        preemptAllowedAt = NONE;
        restartDownTimer(now, out);
    }

    private void onGroupFault(boolean fault, String cause, long now, List<RouterAction> out) {
        if (fault) {
            groupFault = cause;
            if (state == RouterState.BACKUP || state == RouterState.MASTER) {
                enterFault(now, TransitionReason.SYNC_GROUP, cause, out);
            }
        } else if (groupFault != null) {
            groupFault = null;
            if (state == RouterState.FAULT) {
                enterRunning(now, TransitionReason.SYNC_GROUP, cause, out);
            }
        }
    }

    private void send(Advert a, List<RouterAction> out) {
        advertsSent++;
        out.add(new SendAdvert(a));
    }
}
