package dev.vigil.agent.daemon;

import dev.vigil.agent.config.AddressFamily;
import dev.vigil.agent.config.AgentConfig;
import dev.vigil.agent.config.GlobalDefs;
import dev.vigil.agent.config.SyncGroup;
import dev.vigil.agent.config.VrrpInstance;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a reload (SIGHUP, {@code vigilctl reload}) changes, decided from the running and the new configuration
 * alone: pure, so the rules are unit-tested without a network.
 *
 * <p>An instance is <em>kept</em> (its router, state, VIPs and timers untouched: no transition, no flap) when its
 * block means the same as before (only its position in the files may move), the {@code vrrp_script}s and
 * {@code vrrp_track_file}s it tracks are defined the same, its announcement spacing ({@code vrrp_garp_interval} /
 * {@code vrrp_gna_interval}) is the same and it belongs to the same sync group, defined the same. Any other instance
 * present in both files is <em>restarted</em> (stopped as at shutdown, then started as at boot), one only in the old
 * file is <em>removed</em>, one only in the new file is <em>added</em>.
 *
 * <p>Global settings that every script shares ({@code enable_script_security}, {@code script_user}, the notify
 * FIFOs) make {@link #restartsEverything()} true: the whole daemon is rebuilt, every instance restarts. The
 * {@code vigil { }} block (agent id, coordinators, state directory, admin socket) is read at start only: a change is
 * reported in {@link #notes()} and takes effect at the next start.
 *
 * @param kept            instances that keep running untouched
 * @param restarted       instances stopped and started again, each with what changed
 * @param removed         instances that stop
 * @param added           instances that start
 * @param retiredChecks   tracked scripts and files (by name, as {@link #checkName}) whose checks stop: changed or
 *                        no longer tracked by any instance
 * @param newChecks       tracked scripts and files whose checks start: new, or changed
 * @param restartsEverything whether shared script settings changed (see above)
 * @param notes           what the log should say besides the instance lists
 */
public record ConfigReload(List<String> kept, List<Restart> restarted, List<String> removed, List<String> added,
                           Set<String> retiredChecks, Set<String> newChecks, boolean restartsEverything,
                           List<String> notes) {

    /** An instance that restarts, and why (the settings that differ). */
    public record Restart(String name, String why) {
    }

    public ConfigReload {
        kept = List.copyOf(kept);
        restarted = List.copyOf(restarted);
        removed = List.copyOf(removed);
        added = List.copyOf(added);
        retiredChecks = Set.copyOf(retiredChecks);
        newChecks = Set.copyOf(newChecks);
        notes = List.copyOf(notes);
    }

    /** Whether the reload changes nothing that runs. */
    public boolean changesNothing() {
        return restarted.isEmpty() && removed.isEmpty() && added.isEmpty() && !restartsEverything;
    }

    /** The instances that must (re)start: restarted then added, in the new file's order. */
    public List<String> starting(AgentConfig next) {
        Set<String> names = new LinkedHashSet<>(added);
        restarted.forEach(r -> names.add(r.name()));
        return next.instances().stream().map(VrrpInstance::name).filter(names::contains).toList();
    }

    /** The instances that must stop: restarted and removed. */
    public List<String> stopping() {
        List<String> out = new ArrayList<>();
        restarted.forEach(r -> out.add(r.name()));
        out.addAll(removed);
        return out;
    }

    /** One line for the log: counts and names. */
    public String summary() {
        if (restartsEverything) {
            return "every instance restarts (" + String.join("; ", notes) + ")";
        }
        return "kept " + kept + ", restarted " + restarted.stream().map(r -> r.name() + " (" + r.why() + ")").toList()
                + ", removed " + removed + ", added " + added;
    }

    /** The check's key in {@link #retiredChecks} and {@link #newChecks}: scripts and files are apart. */
    public static String checkName(boolean file, String name) {
        return (file ? "file " : "script ") + name;
    }

    /** Compares the running configuration {@code from} with the new one {@code to}. */
    public static ConfigReload plan(AgentConfig from, AgentConfig to) {
        List<String> notes = new ArrayList<>();
        List<String> shared = differingComponents(scriptSharedSettings(from.global()), scriptSharedSettings(to.global()));
        boolean everything = !shared.isEmpty();
        if (everything) {
            notes.add("global_defs " + String.join(", ", shared) + " changed");
        }
        if (!from.vigil().equals(to.vigil())) {
            notes.add("vigil block (" + String.join(", ", differingComponents(from.vigil(), to.vigil()))
                    + ") changed: takes effect at the next start");
        }
        List<String> kept = new ArrayList<>();
        List<Restart> restarted = new ArrayList<>();
        List<String> removed = new ArrayList<>();
        List<String> added = new ArrayList<>();
        for (VrrpInstance old : from.instances()) {
            Optional<VrrpInstance> now = to.instance(old.name());
            if (now.isEmpty()) {
                removed.add(old.name());
                continue;
            }
            List<String> why = everything ? List.of("global script settings") : changes(from, old, to, now.get());
            if (why.isEmpty()) {
                kept.add(old.name());
            } else {
                restarted.add(new Restart(old.name(), String.join(", ", why)));
            }
        }
        for (VrrpInstance i : to.instances()) {
            if (from.instance(i.name()).isEmpty()) {
                added.add(i.name());
            }
        }
        Map<String, Object> before = checks(from);
        Map<String, Object> after = checks(to);
        Set<String> retired = new LinkedHashSet<>();
        Set<String> fresh = new LinkedHashSet<>();
        before.forEach((name, def) -> {
            if (everything || !def.equals(after.get(name))) {
                retired.add(name);
            }
        });
        after.forEach((name, def) -> {
            if (everything || !def.equals(before.get(name))) {
                fresh.add(name);
            }
        });
        return new ConfigReload(kept, restarted, removed, added, retired, fresh, everything, notes);
    }

    /** Why {@code old} cannot keep running as {@code now}; empty when it can. */
    private static List<String> changes(AgentConfig from, VrrpInstance old, AgentConfig to, VrrpInstance now) {
        List<String> why = new ArrayList<>();
        if (!old.sameSettingsAs(now)) {
            for (String c : differingComponents(old, now)) {
                if (!c.equals("declaredAt")) {
                    why.add(c);
                }
            }
        }
        for (var t : now.trackScripts()) {
            if (!Objects.equals(from.script(t.name()), to.script(t.name()))) {
                why.add("vrrp_script " + t.name());
            }
        }
        for (var t : now.trackFiles()) {
            if (!Objects.equals(from.trackFile(t.name()), to.trackFile(t.name()))) {
                why.add("vrrp_track_file " + t.name());
            }
        }
        if (!spacing(from.global(), old.family()).equals(spacing(to.global(), now.family()))) {
            why.add(old.family() == AddressFamily.IPV4 ? "vrrp_garp_interval" : "vrrp_gna_interval");
        }
        if (!groupOf(from, old.name()).equals(groupOf(to, now.name()))) {
            why.add("vrrp_sync_group");
        }
        return why;
    }

    /** Every check some instance tracks, by {@link #checkName}, with its definition. */
    private static Map<String, Object> checks(AgentConfig c) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (VrrpInstance i : c.instances()) {
            for (var t : i.trackScripts()) {
                c.script(t.name()).ifPresent(s -> out.put(checkName(false, s.name()), s));
            }
            for (var t : i.trackFiles()) {
                c.trackFile(t.name()).ifPresent(f -> out.put(checkName(true, f.name()), f));
            }
        }
        return out;
    }

    private static Object spacing(GlobalDefs g, AddressFamily family) {
        return family == AddressFamily.IPV4 ? g.garpInterval() : g.gnaInterval();
    }

    private static Optional<SyncGroup> groupOf(AgentConfig c, String instance) {
        return c.syncGroups().stream().filter(g -> g.members().contains(instance)).findFirst();
    }

    /** The global settings every script and notify shares: the launcher and the FIFOs are built from them. */
    private record ScriptShared(boolean enable_script_security, Optional<?> script_user, Optional<?> notify_fifo,
                                Optional<?> vrrp_notify_fifo) {
    }

    private static ScriptShared scriptSharedSettings(GlobalDefs g) {
        return new ScriptShared(g.enableScriptSecurity(), g.scriptUser(), g.notifyFifo(), g.vrrpNotifyFifo());
    }

    /** Names of the record components whose values differ (same record type). */
    static List<String> differingComponents(Record a, Record b) {
        List<String> out = new ArrayList<>();
        for (RecordComponent c : a.getClass().getRecordComponents()) {
            try {
                if (!Objects.equals(c.getAccessor().invoke(a), c.getAccessor().invoke(b))) {
                    out.add(c.getName());
                }
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("record component " + c.getName() + ": " + e, e);
            }
        }
        return out;
    }
}
