package dev.vigil.agent.daemon;

import dev.vigil.agent.config.AgentConfig;
import dev.vigil.agent.config.SyncGroup;
import dev.vigil.agent.notify.NotifyRunner;
import dev.vigil.agent.notify.NotifyScope;
import dev.vigil.agent.notify.NotifyState;
import dev.vigil.agent.vrrp.GroupSync;
import dev.vigil.agent.vrrp.RouterAction;
import dev.vigil.agent.vrrp.RouterState;
import dev.vigil.agent.vrrp.TransitionReason;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The configured {@code vrrp_sync_group}s on the event loop: each {@link RouterHost} of a member hands its router's
 * actions here, its {@link GroupSync} says which inputs the other members get, and they get them one at a time, in
 * order, after the member's own actions are done (never re-entering a router). Group transitions are logged in
 * keepalived's words and run the group's notify scripts (type GROUP, priority 0). Every method runs on the loop.
 */
final class SyncGroups {
    private static final Logger LOG = LoggerFactory.getLogger("dev.vigil.agent.vrrp");

    private final Map<String, GroupSync> byMember = new HashMap<>();
    private final Map<String, SyncGroup> defined = new HashMap<>();
    private final Map<String, RouterHost> hosts = new HashMap<>();
    private final NotifyRunner notify;
    private final ArrayDeque<Runnable> work = new ArrayDeque<>();
    private boolean settling;

    SyncGroups(AgentConfig config, NotifyRunner notify) {
        this.notify = notify;
        reconfigure(config);
    }

    /**
     * The groups of a (re)loaded configuration. A group defined as before keeps its state (its members were kept);
     * a new or redefined one starts afresh, since {@link ConfigReload} restarts all its members.
     */
    void reconfigure(AgentConfig config) {
        Map<String, GroupSync> kept = new HashMap<>();
        byMember.values().forEach(sync -> {
            SyncGroup before = defined.get(sync.name());
            if (config.syncGroups().contains(before)) {
                kept.put(sync.name(), sync);
            }
        });
        byMember.clear();
        defined.clear();
        for (SyncGroup g : config.syncGroups()) {
            GroupSync sync = kept.containsKey(g.name()) ? kept.get(g.name()) : new GroupSync(g.name(), g.members());
            defined.put(g.name(), g);
            g.members().forEach(m -> byMember.put(m, sync));
        }
    }

    void remove(RouterHost host) {
        hosts.remove(host.instance().name(), host);
    }

    /** The group an instance belongs to, for its router's configuration. */
    static Optional<String> groupOf(AgentConfig config, String instance) {
        return config.syncGroups().stream().filter(g -> g.members().contains(instance)).map(SyncGroup::name).findFirst();
    }

    void add(RouterHost host) {
        hosts.put(host.instance().name(), host);
    }

    /** A member's router returned {@code actions} (already carried out); the group follows. */
    void observe(RouterHost host, List<RouterAction> actions) {
        GroupSync sync = byMember.get(host.instance().name());
        if (sync == null) {
            return;
        }
        for (GroupSync.Step step : sync.observe(host.instance().name(), actions)) {
            if (step instanceof GroupSync.Step.Feed f) {
                RouterHost to = hosts.get(f.member());
                if (to != null) {
                    work.add(() -> to.handle(f.input()));
                }
            } else if (step instanceof GroupSync.Step.GroupTransition t) {
                work.add(() -> report(sync.name(), t));
            } else if (step instanceof GroupSync.Step.Held h) {
                LOG.debug("({}) would become MASTER; VRRP_Group({}) waits for {}", h.member(), sync.name(), h.waitingFor());
            }
        }
        if (settling) {
            return; // the loop below, further up this stack, runs it in order
        }
        settling = true;
        try {
            for (Runnable r = work.poll(); r != null; r = work.poll()) {
                r.run();
            }
        } catch (RuntimeException e) {
            work.clear(); // what followed from a failed step must not run later, out of context
            throw e;
        } finally {
            settling = false;
        }
    }

    private void report(String group, GroupSync.Step.GroupTransition t) {
        boolean stop = t.to() == RouterState.INITIALIZE && t.reason() == TransitionReason.SHUTDOWN;
        LOG.info("VRRP_Group({}) {} -> {}: {}", group, t.from(), stop ? "STOP" : t.to(), t.cause());
        NotifyState state = switch (t.to()) {
            case MASTER -> NotifyState.MASTER;
            case BACKUP -> NotifyState.BACKUP;
            case FAULT -> NotifyState.FAULT;
            case INITIALIZE -> stop ? NotifyState.STOP : null;
        };
        if (state != null) {
            LOG.info("VRRP_Group({}) Syncing instances to {} state", group, state);
            notify.transition(NotifyScope.GROUP, group, state, 0);
        }
    }
}
