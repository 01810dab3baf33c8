package dev.vigil.agent.config;

import dev.vigil.agent.check.PgCheckSettings;
import dev.vigil.agent.check.PgCheckSyntax;

import dev.vigil.agent.config.Vocabulary.Block;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Reads a keepalived.conf (and its includes) into a validated {@link AgentConfig}, or into the
 * findings that stop it. Pure apart from reading the files: no interface lookups, no DNS, no clock.
 *
 * <p>Entry point: {@link #parse(Path, Optional)}.
 */
public final class KeepalivedConfigParser {

    private static final Duration MIN_ADVERT = Duration.ofMillis(10);
    private static final Duration MAX_ADVERT = Duration.ofSeconds(255);
    static final Duration MAX_V3_ADVERT = Duration.ofMillis(40_950);
    private static final Duration MAX_PREEMPT_DELAY = Duration.ofSeconds(1000);
    static final int MAX_VIPS_IN_ADVERT = 255;

    private final List<Finding> findings = new ArrayList<>();
    private final ValueReader read = new ValueReader(findings);

    // results of the first pass
    private final GlobalDraft global = new GlobalDraft();

    Optional<String> defaultInterface() {
        return global.defaultInterface;
    }
    private VigilSettings vigil = VigilSettings.DEFAULTS;
    private SourcePos vigilAt;
    private final List<InstanceDraft> instances = new ArrayList<>();
    private final Map<String, ScriptDraft> scripts = new LinkedHashMap<>();
    private final Map<String, TrackFileDraft> trackFiles = new LinkedHashMap<>();
    private final List<SyncGroupDraft> syncGroups = new ArrayList<>();
    private final VirtualServerReader virtualServers = new VirtualServerReader(this, read);
    /** Where the first script or notify command is configured, for the script-security warning. */
    private Optional<SourcePos> firstScriptAt = Optional.empty();

    private final Predicate<String> interfaceExists;

    private KeepalivedConfigParser(Predicate<String> interfaceExists) {
        this.interfaceExists = interfaceExists;
    }

    /**
     * @param configId keepalived's {@code -i}: selects {@code @id} lines; keepalived defaults it to the
     *                 short host name, which the caller passes if it wants that behaviour
     * @return a valid config with its warnings, or every finding if there is at least one error
     */
    public static ConfigResult parse(Path file, Optional<String> configId) {
        return parse(file, configId, name -> true);
    }

    /**
     * As {@link #parse(Path, Optional)}, and warns about every interface the file names that
     * {@code interfaceExists} says is not on this host (keepalived warns the same way; the interface
     * may appear later, so it is not an error).
     */
    public static ConfigResult parse(Path file, Optional<String> configId, Predicate<String> interfaceExists) {
        ConfigLexer.Result lexed = ConfigLexer.lex(file, configId);
        StatementTree.Result tree = StatementTree.build(lexed.tokens());
        var parser = new KeepalivedConfigParser(interfaceExists);
        parser.findings.addAll(lexed.findings());
        parser.findings.addAll(tree.findings());
        Optional<AgentConfig> config = parser.interpret(tree.statements());
        List<Finding> all = new ArrayList<>(parser.findings);
        // File order: files in the order they were first reported on, lines ascending, then as found.
        List<String> fileOrder = new ArrayList<>();
        parser.findings.forEach(f -> {
            if (!fileOrder.contains(f.file())) {
                fileOrder.add(f.file());
            }
        });
        all.sort(Comparator.comparingInt((Finding f) -> fileOrder.indexOf(f.file())).thenComparingInt(Finding::line));
        if (config.isPresent() && all.stream().noneMatch(Finding::isError)) {
            return new ConfigResult.Valid(config.get(), all);
        }
        return new ConfigResult.Invalid(all);
    }

    // ================================================================================ top level

    private Optional<AgentConfig> interpret(List<Statement> top) {
        for (Statement s : top) {
            switch (s.keyword()) {
                case "global_defs" -> globalDefs(s);
                case "vrrp_instance" -> instance(s);
                case "vrrp_script" -> script(s);
                case "vrrp_track_file", "track_file" -> trackFile(s);
                case "vrrp_sync_group" -> syncGroup(s);
                case "vigil" -> vigil(s);
                case "virtual_server" -> virtualServers.virtualServer(s);
                case "virtual_server_group" -> virtualServers.group(s);
                default -> notActedOnOrUnknown(Block.TOP, s, "");
            }
        }
        GlobalDefs g = global.build();
        if (!g.enableScriptSecurity()) {
            firstScriptAt.ifPresent(at -> warning(at, "scripts are configured but global_defs enable_script_security"
                    + " is not set: scripts writable by non-root users will still run, as keepalived warns"));
        }
        Map<String, VrrpScript> builtScripts = new LinkedHashMap<>();
        scripts.forEach((name, d) -> d.build(this).ifPresent(v -> builtScripts.put(name, v)));
        Map<String, TrackFile> builtFiles = new LinkedHashMap<>();
        trackFiles.forEach((name, d) -> builtFiles.put(name, d.build()));
        Map<String, SyncGroupDraft> groupOf = new HashMap<>();
        for (SyncGroupDraft sg : syncGroups) {
            sg.members.forEach(m -> groupOf.putIfAbsent(m, sg));
        }
        List<VrrpInstance> builtInstances = new ArrayList<>();
        for (InstanceDraft d : instances) {
            d.build(this, g, builtScripts, builtFiles, Optional.ofNullable(groupOf.get(d.name)))
                    .ifPresent(builtInstances::add);
        }
        checkDuplicateVrids(builtInstances);
        List<SyncGroup> builtGroups = new ArrayList<>();
        checkSyncGroups(builtScripts, builtFiles).forEach(builtGroups::add);
        builtInstances = withGroupTrackers(builtInstances, builtGroups);
        List<VirtualServer> builtServers = virtualServers.build();
        if (findings.stream().anyMatch(Finding::isError)) {
            return Optional.empty();
        }
        return Optional.of(new AgentConfig(g, vigil, builtInstances, List.copyOf(builtScripts.values()),
                List.copyOf(builtFiles.values()), builtGroups, builtServers));
    }

    void notActedOnOrUnknown(Block block, Statement s, String context) {
        String prefix = context.isEmpty() ? "" : context + ": ";
        Optional<Vocabulary.NotActedOn> known = Vocabulary.notActedOn(block, s.keyword());
        if (known.isPresent()) {
            Vocabulary.NotActedOn n = known.get();
            String message = prefix + "'" + s.keyword() + "' " + (n.error() ? "is not supported: " : "is ignored: ") + n.reason();
            findings.add(n.error() ? Finding.error(s.pos(), message) : Finding.warning(s.pos(), message));
            return;
        }
        String hint = Vocabulary.closest(block, s.keyword()).map(k -> " (did you mean '" + k + "'?)").orElse("");
        String message = prefix + "unknown keyword '" + s.keyword() + "'" + hint
                + (s.hasBlock() ? "; its block is skipped" : "");
        if (block == Block.VIGIL) {
            findings.add(Finding.error(s.pos(), message));
        } else {
            findings.add(Finding.warning(s.pos(), message));
        }
    }

    // ================================================================================ value readers

    void error(SourcePos at, String message) {
        findings.add(Finding.error(at, message));
    }

    void warning(SourcePos at, String message) {
        findings.add(Finding.warning(at, message));
    }

    private Optional<ScriptCommand> command(Statement s, String ctx) {
        if (!read.arity(s, ctx, 1, 3)) {
            return Optional.empty();
        }
        if (s.arg(0).isBlank()) {
            error(s.pos(), ctx + ": '" + s.keyword() + "' has an empty command");
            return Optional.empty();
        }
        if (firstScriptAt.isEmpty()) {
            firstScriptAt = Optional.of(s.pos());
        }
        Optional<ScriptUser> user = s.args().size() > 1
                ? Optional.of(ValueReader.scriptUser(s.args().subList(1, s.args().size())))
                : Optional.empty();
        return Optional.of(new ScriptCommand(s.arg(0), user));
    }

    private void interfaceOnHost(String name, SourcePos at, String what) {
        if (!interfaceExists.test(name)) {
            warning(at, what + " does not exist on this host");
        }
    }

    // ================================================================================ global_defs

    private static final class GlobalDraft {
        Optional<String> routerId = Optional.empty();
        int vrrpVersion = 2;
        Duration garpMasterDelay = GarpSettings.KEEPALIVED_DEFAULTS.masterDelay();
        int garpMasterRepeat = GarpSettings.KEEPALIVED_DEFAULTS.masterRepeat();
        Duration garpMasterRefresh = Duration.ZERO;
        int garpMasterRefreshRepeat = 1;
        Optional<Duration> garpLowerPrioDelay = Optional.empty();
        Optional<Integer> garpLowerPrioRepeat = Optional.empty();
        Duration garpInterval = Duration.ZERO;
        Duration gnaInterval = Duration.ZERO;
        boolean lowerPrioNoAdvert;
        boolean higherPrioSendAdvert;
        boolean enableScriptSecurity;
        Optional<ScriptUser> scriptUser = Optional.empty();
        boolean vrrpStrict;
        Optional<String> notifyFifo = Optional.empty();
        Optional<ScriptCommand> notifyFifoScript = Optional.empty();
        Optional<String> vrrpNotifyFifo = Optional.empty();
        Optional<ScriptCommand> vrrpNotifyFifoScript = Optional.empty();
        boolean skipCheckAdvAddr;
        boolean checkUnicastSrc;
        InetAddress mcastGroup4 = ValueReader.parseIp("224.0.0.18").orElseThrow();
        InetAddress mcastGroup6 = ValueReader.parseIp("ff02::12").orElseThrow();
        boolean v3ChecksumAsV2;
        int downTimerAdverts = 3;
        int vrrpPriority;
        int vrrpRtPriority;
        Optional<String> defaultInterface = Optional.empty();

        GlobalDefs build() {
            GarpSettings garp = new GarpSettings(garpMasterDelay, garpMasterRepeat, garpMasterRefresh,
                    garpMasterRefreshRepeat, garpLowerPrioDelay.orElse(garpMasterDelay),
                    garpLowerPrioRepeat.orElse(garpMasterRepeat));
            return new GlobalDefs(routerId, vrrpVersion, garp, garpInterval, gnaInterval, lowerPrioNoAdvert,
                    higherPrioSendAdvert, enableScriptSecurity, scriptUser, vrrpStrict,
                    notifyFifo.map(p -> new NotifyFifo(p, notifyFifoScript)),
                    vrrpNotifyFifo.map(p -> new NotifyFifo(p, vrrpNotifyFifoScript)), skipCheckAdvAddr,
                    checkUnicastSrc, mcastGroup4, mcastGroup6, v3ChecksumAsV2, downTimerAdverts, vrrpPriority,
                    vrrpRtPriority);
        }
    }

    private void globalDefs(Statement block) {
        String ctx = "global_defs";
        if (!read.needsBlock(block, ctx)) {
            return;
        }
        Map<String, SourcePos> seen = new HashMap<>();
        GlobalDraft g = global;
        for (Statement s : block.children()) {
            if (Vocabulary.isSupported(Block.GLOBAL_DEFS, s.keyword())) {
                read.setOnce(seen, s, ctx);
            }
            switch (s.keyword()) {
                case "router_id" -> read.text(s, ctx).ifPresent(v -> g.routerId = Optional.of(v));
                case "vrrp_version" -> read.integer(s, ctx, 2, 3).ifPresent(v -> g.vrrpVersion = v);
                case "vrrp_garp_master_delay" -> wholeSeconds(s, ctx).ifPresent(v -> g.garpMasterDelay = v);
                case "vrrp_garp_master_repeat" -> read.integer(s, ctx, 1, 1_000_000).ifPresent(v -> g.garpMasterRepeat = v);
                case "vrrp_garp_master_refresh" -> wholeSeconds(s, ctx).ifPresent(v -> g.garpMasterRefresh = v);
                case "vrrp_garp_master_refresh_repeat" -> read.integer(s, ctx, 1, 1_000_000).ifPresent(v -> g.garpMasterRefreshRepeat = v);
                case "vrrp_garp_lower_prio_delay" -> wholeSeconds(s, ctx).ifPresent(v -> g.garpLowerPrioDelay = Optional.of(v));
                case "vrrp_garp_lower_prio_repeat" -> read.integer(s, ctx, 0, 1_000_000).ifPresent(v -> g.garpLowerPrioRepeat = Optional.of(v));
                case "vrrp_garp_interval" -> read.seconds(s, ctx, Duration.ZERO, Duration.ofSeconds(1000)).ifPresent(v -> g.garpInterval = v);
                case "vrrp_gna_interval" -> read.seconds(s, ctx, Duration.ZERO, Duration.ofSeconds(1000)).ifPresent(v -> g.gnaInterval = v);
                case "vrrp_lower_prio_no_advert" -> read.flag(s, ctx).ifPresent(v -> g.lowerPrioNoAdvert = v);
                case "vrrp_higher_prio_send_advert" -> read.flag(s, ctx).ifPresent(v -> g.higherPrioSendAdvert = v);
                case "enable_script_security" -> read.flag(s, ctx).ifPresent(v -> g.enableScriptSecurity = v);
                case "script_user" -> {
                    if (read.arity(s, ctx, 1, 2)) {
                        g.scriptUser = Optional.of(ValueReader.scriptUser(s.args()));
                    }
                }
                case "vrrp_strict" -> read.flag(s, ctx).ifPresent(v -> g.vrrpStrict = v);
                case "notify_fifo" -> fifoPath(s, ctx).ifPresent(v -> g.notifyFifo = Optional.of(v));
                case "notify_fifo_script" -> command(s, ctx).ifPresent(v -> g.notifyFifoScript = Optional.of(v));
                case "vrrp_notify_fifo" -> fifoPath(s, ctx).ifPresent(v -> g.vrrpNotifyFifo = Optional.of(v));
                case "vrrp_notify_fifo_script" -> command(s, ctx).ifPresent(v -> g.vrrpNotifyFifoScript = Optional.of(v));
                case "vrrp_skip_check_adv_addr" -> read.flag(s, ctx).ifPresent(v -> g.skipCheckAdvAddr = v);
                case "vrrp_check_unicast_src" -> read.flag(s, ctx).ifPresent(v -> g.checkUnicastSrc = v);
                case "vrrp_mcast_group4" -> multicast(s, ctx, AddressFamily.IPV4).ifPresent(v -> g.mcastGroup4 = v);
                case "vrrp_mcast_group6" -> multicast(s, ctx, AddressFamily.IPV6).ifPresent(v -> g.mcastGroup6 = v);
                case "v3_checksum_as_v2" -> read.flag(s, ctx).ifPresent(v -> g.v3ChecksumAsV2 = v);
                case "vrrp_down_timer_adverts" -> read.integer(s, ctx, 1, 100).ifPresent(v -> g.downTimerAdverts = v);
                case "default_interface" -> read.text(s, ctx).ifPresent(v -> g.defaultInterface = Optional.of(v));
                case "vrrp_priority" -> read.integer(s, ctx, -20, 19).ifPresent(v -> g.vrrpPriority = v);
                case "vrrp_rt_priority" -> read.integer(s, ctx, 1, 99).ifPresent(v -> g.vrrpRtPriority = v);
                default -> notActedOnOrUnknown(Block.GLOBAL_DEFS, s, ctx);
            }
        }
    }

    private Optional<String> fifoPath(Statement s, String ctx) {
        // notify_fifo FILE [user [group]]: the owner of a FIFO Vigil creates is not configurable yet
        if (!read.arity(s, ctx, 1, 3)) {
            return Optional.empty();
        }
        if (s.args().size() > 1) {
            warning(s.pos(), ctx + ": the FIFO owner '" + String.join(" ", s.args().subList(1, s.args().size()))
                    + "' is ignored; Vigil creates the FIFO as root with mode 0600");
        }
        return Optional.of(s.arg(0));
    }

    private Optional<Duration> wholeSeconds(Statement s, String ctx) {
        return read.integer(s, ctx, 0, 86_400).stream().mapToObj(v -> Duration.ofSeconds(v)).findFirst();
    }

    private Optional<InetAddress> multicast(Statement s, String ctx, AddressFamily family) {
        return read.ip(s, ctx).flatMap(a -> {
            if (!a.isMulticastAddress() || ValueReader.familyOf(a) != family) {
                error(s.pos(), ctx + ": " + s.keyword() + " " + s.arg(0) + " is not an "
                        + (family == AddressFamily.IPV4 ? "IPv4" : "IPv6") + " multicast address");
                return Optional.empty();
            }
            return Optional.of(a);
        });
    }

    // ================================================================================ vigil { }

    private void vigil(Statement block) {
        String ctx = "vigil";
        if (!read.needsBlock(block, ctx)) {
            return;
        }
        if (vigilAt != null) {
            error(block.pos(), "vigil: a second vigil block (the first is at " + vigilAt + ")");
            return;
        }
        vigilAt = block.pos();
        Map<String, SourcePos> seen = new HashMap<>();
        VigilSettings v = VigilSettings.DEFAULTS;
        Optional<String> agentId = v.agentId();
        String cluster = v.cluster();
        Path stateDir = v.stateDir();
        List<URI> coordinators = new ArrayList<>();
        Optional<Path> tokenFile = v.tokenFile();
        Path adminSocket = v.adminSocket();
        long outboxBytes = v.outboxBytes();
        for (Statement s : block.children()) {
            if (!s.keyword().equals("coordinator") && Vocabulary.isSupported(Block.VIGIL, s.keyword())) {
                read.setOnce(seen, s, ctx);
            }
            switch (s.keyword()) {
                case "agent_id" -> {
                    Optional<String> id = identifier(s, ctx);
                    if (id.isPresent()) {
                        agentId = id;
                    }
                }
                case "cluster" -> {
                    Optional<String> c = identifier(s, ctx);
                    if (c.isPresent()) {
                        cluster = c.get();
                    }
                }
                case "state_dir" -> {
                    Optional<Path> p = absolutePath(s, ctx);
                    if (p.isPresent()) {
                        stateDir = p.get();
                    }
                }
                case "token_file" -> {
                    Optional<Path> p = absolutePath(s, ctx);
                    if (p.isPresent()) {
                        tokenFile = p;
                    }
                }
                case "admin_socket" -> {
                    Optional<Path> p = absolutePath(s, ctx);
                    if (p.isPresent()) {
                        adminSocket = p.get();
                    }
                }
                case "outbox_size" -> {
                    Optional<String> text = read.text(s, ctx);
                    if (text.isPresent()) {
                        Optional<Long> bytes = dev.vigil.agent.check.Magnitudes.parseBytes(text.get());
                        if (bytes.isEmpty() || bytes.get() < VigilSettings.MIN_OUTBOX_BYTES) {
                            error(s.pos(), ctx + ": outbox_size '" + text.get()
                                    + "' must be a size of at least 64KB (e.g. 64MB)");
                        } else {
                            outboxBytes = bytes.get();
                        }
                    }
                }
                case "coordinator" -> {
                    if (read.arity(s, ctx, 1, 16)) {
                        for (String u : s.args()) {
                            coordinatorUri(u, s, ctx).ifPresent(coordinators::add);
                        }
                    }
                }
                default -> notActedOnOrUnknown(Block.VIGIL, s, ctx);
            }
        }
        vigil = new VigilSettings(agentId, cluster, stateDir, coordinators, tokenFile, adminSocket, outboxBytes);
    }

    private Optional<String> identifier(Statement s, String ctx) {
        return read.text(s, ctx).filter(v -> {
            if (!v.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,127}")) {
                error(s.pos(), ctx + ": " + s.keyword() + " '" + v
                        + "' must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
                return false;
            }
            return true;
        });
    }

    private Optional<Path> absolutePath(Statement s, String ctx) {
        return read.path(s, ctx).filter(p -> {
            if (!p.isAbsolute()) {
                error(s.pos(), ctx + ": " + s.keyword() + " '" + p + "' must be an absolute path");
                return false;
            }
            return true;
        });
    }

    private Optional<URI> coordinatorUri(String value, Statement s, String ctx) {
        try {
            URI u = new URI(value);
            if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null) {
                error(s.pos(), ctx + ": coordinator '" + value + "' must be an http:// or https:// URL with a host");
                return Optional.empty();
            }
            return Optional.of(u);
        } catch (URISyntaxException e) {
            error(s.pos(), ctx + ": coordinator '" + value + "' is not a URL: " + e.getReason());
            return Optional.empty();
        }
    }

    // ================================================================================ vrrp_script

    private static final class ScriptDraft {
        final String name;
        final SourcePos at;
        Optional<String> script = Optional.empty();
        Duration interval = Duration.ofSeconds(1);
        Optional<Duration> timeout = Optional.empty();
        int weight;
        boolean weightReverse;
        int rise = 1;
        int fall = 1;
        Optional<ScriptUser> user = Optional.empty();
        boolean initFail;
        Optional<PgCheckSettings> pgCheck = Optional.empty();
        boolean pgCheckGiven;

        ScriptDraft(String name, SourcePos at) {
            this.name = name;
            this.at = at;
        }

        Optional<VrrpScript> build(KeepalivedConfigParser p) {
            if (script.isPresent() && pgCheckGiven) {
                p.error(at, "vrrp_script " + name + ": give either 'script' or 'pg_check', not both");
                return Optional.empty();
            }
            if (script.isEmpty() && !pgCheckGiven) {
                p.error(at, "vrrp_script " + name + ": no 'script' given");
                return Optional.empty();
            }
            if (pgCheckGiven && pgCheck.isEmpty()) {
                return Optional.empty();   // its errors are already reported
            }
            return Optional.of(new VrrpScript(name, script.orElse(""), interval, timeout.orElse(interval), weight,
                    weightReverse, rise, fall, user, initFail, pgCheck));
        }
    }

    private Optional<String> blockName(Statement s) {
        if (!s.hasBlock()) {
            error(s.pos(), s.keyword() + ": needs a name and a '{ }' block");
            return Optional.empty();
        }
        if (s.args().size() != 1) {
            error(s.pos(), s.keyword() + ": needs exactly one name"
                    + (s.args().isEmpty() ? "" : ", not '" + String.join(" ", s.args()) + "'"));
            return Optional.empty();
        }
        return Optional.of(s.arg(0));
    }

    private void script(Statement block) {
        Optional<String> name = blockName(block);
        if (name.isEmpty()) {
            return;
        }
        String ctx = "vrrp_script " + name.get();
        ScriptDraft d = new ScriptDraft(name.get(), block.pos());
        ScriptDraft before = scripts.get(name.get());
        if (before != null) {
            error(block.pos(), ctx + ": defined twice (first at " + before.at + ")");
            return;
        }
        scripts.put(name.get(), d);
        Map<String, SourcePos> seen = new HashMap<>();
        for (Statement s : block.children()) {
            if (Vocabulary.isSupported(Block.VRRP_SCRIPT, s.keyword())) {
                read.setOnce(seen, s, ctx);
            }
            switch (s.keyword()) {
                case "script" -> {
                    if (read.noBlock(s, ctx)) {
                        if (s.args().isEmpty() || s.arg(0).isBlank()) {
                            error(s.pos(), ctx + ": 'script' needs a command");
                        } else {
                            d.script = Optional.of(String.join(" ", s.args()));
                            if (firstScriptAt.isEmpty()) {
                                firstScriptAt = Optional.of(s.pos());
                            }
                        }
                    }
                }
                case "interval" -> read.seconds(s, ctx, Duration.ofMillis(1), Duration.ofDays(1)).ifPresent(v -> d.interval = v);
                case "timeout" -> read.seconds(s, ctx, Duration.ofMillis(1), Duration.ofDays(1)).ifPresent(v -> d.timeout = Optional.of(v));
                case "weight" -> {
                    if (read.arity(s, ctx, 1, 2)) {
                        read.integerValue(s.arg(0), s, ctx, "weight", -253, 253).ifPresent(v -> d.weight = v);
                        if (s.args().size() == 2) {
                            if (s.arg(1).equals("reverse")) {
                                d.weightReverse = true;
                            } else {
                                error(s.pos(), ctx + ": unknown weight option '" + s.arg(1) + "' (only 'reverse')");
                            }
                        }
                    }
                }
                case "rise" -> read.integer(s, ctx, 1, Integer.MAX_VALUE).ifPresent(v -> d.rise = v);
                case "fall" -> read.integer(s, ctx, 1, Integer.MAX_VALUE).ifPresent(v -> d.fall = v);
                case "user" -> {
                    if (read.arity(s, ctx, 1, 2)) {
                        d.user = Optional.of(ValueReader.scriptUser(s.args()));
                    }
                }
                case "init_fail" -> read.flag(s, ctx).ifPresent(v -> d.initFail = v);
                case "pg_check" -> {
                    d.pgCheckGiven = true;
                    if (!s.hasBlock() || !s.args().isEmpty()) {
                        error(s.pos(), ctx + ": 'pg_check' takes no values, only a '{ }' block");
                    } else {
                        PgCheckSyntax.Parsed<SourcePos> parsed = PgCheckSyntax.read(name.get(), s.children().stream()
                                .map(c -> new PgCheckSyntax.Line<>(c.keyword(), c.args(), c.pos())).toList(), s.pos());
                        parsed.problems().forEach(problem -> error(problem.at(), problem.message()));
                        d.pgCheck = parsed.settings();
                    }
                }
                default -> notActedOnOrUnknown(Block.VRRP_SCRIPT, s, ctx);
            }
        }
    }

    // ================================================================================ track_file

    private static final class TrackFileDraft {
        final String name;
        final SourcePos at;
        Optional<String> file = Optional.empty();
        int weight = 1;
        boolean reverse;
        OptionalLong initValue = OptionalLong.empty();
        boolean initOverwrite;

        TrackFileDraft(String name, SourcePos at) {
            this.name = name;
            this.at = at;
        }

        TrackFile build() {
            return new TrackFile(name, file.orElseThrow(), weight, reverse, initValue, initOverwrite);
        }
    }

    private void trackFile(Statement block) {
        Optional<String> name = blockName(block);
        if (name.isEmpty()) {
            return;
        }
        String ctx = block.keyword() + " " + name.get();
        TrackFileDraft d = new TrackFileDraft(name.get(), block.pos());
        TrackFileDraft before = trackFiles.get(name.get());
        if (before != null) {
            error(block.pos(), ctx + ": defined twice (first at " + before.at + ")");
            return;
        }
        Map<String, SourcePos> seen = new HashMap<>();
        for (Statement s : block.children()) {
            if (Vocabulary.isSupported(Block.TRACK_FILE, s.keyword())) {
                read.setOnce(seen, s, ctx);
            }
            switch (s.keyword()) {
                case "file" -> read.text(s, ctx).ifPresent(v -> d.file = Optional.of(v));
                case "weight" -> {
                    if (read.arity(s, ctx, 1, 2)) {
                        read.integerValue(s.arg(0), s, ctx, "weight", -254, 254).ifPresent(v -> d.weight = v);
                        if (s.args().size() == 2) {
                            if (s.arg(1).equals("reverse")) {
                                d.reverse = true;
                            } else {
                                error(s.pos(), ctx + ": unknown weight option '" + s.arg(1) + "' (only 'reverse')");
                            }
                        }
                    }
                }
                case "init_file" -> {
                    if (read.arity(s, ctx, 0, 2)) {
                        d.initValue = OptionalLong.of(0);
                        for (String a : s.args()) {
                            if (a.equals("overwrite")) {
                                d.initOverwrite = true;
                            } else {
                                try {
                                    d.initValue = OptionalLong.of(Long.parseLong(a));
                                } catch (NumberFormatException e) {
                                    error(s.pos(), ctx + ": init_file value '" + a + "' is not a whole number");
                                }
                            }
                        }
                    }
                }
                default -> notActedOnOrUnknown(Block.TRACK_FILE, s, ctx);
            }
        }
        if (d.file.isEmpty()) {
            error(block.pos(), ctx + ": no 'file' given");
            return;
        }
        trackFiles.put(name.get(), d);
    }

    // ================================================================================ tracker lists

    record TrackRef(String name, SourcePos at, OptionalInt weight, Optional<Boolean> reverse) {}

    /** Lines {@code NAME [weight W] [reverse|noreverse]} of track_interface / track_script / track_file. */
    private List<TrackRef> trackRefs(Statement block, String ctx, int minWeight, int maxWeight, boolean noreverse) {
        List<TrackRef> out = new ArrayList<>();
        if (!read.needsBlock(block, ctx)) {
            return out;
        }
        for (Statement line : block.children()) {
            if (line.hasBlock()) {
                error(line.pos(), ctx + ": '" + line.keyword() + "' in " + block.keyword() + " takes no '{ }' block");
                continue;
            }
            OptionalInt weight = OptionalInt.empty();
            Optional<Boolean> reverse = Optional.empty();
            List<String> a = line.args();
            boolean ok = true;
            for (int i = 0; i < a.size(); i++) {
                String w = a.get(i);
                if (w.equals("weight")) {
                    if (i + 1 >= a.size()) {
                        error(line.pos(), ctx + ": " + block.keyword() + " " + line.keyword() + ": 'weight' needs a value");
                        ok = false;
                        break;
                    }
                    weight = read.integerValue(a.get(++i), line, ctx, block.keyword() + " " + line.keyword() + " weight",
                            minWeight, maxWeight);
                    ok &= weight.isPresent();
                } else if (w.equals("reverse")) {
                    reverse = Optional.of(true);
                } else if (w.equals("noreverse") && noreverse) {
                    reverse = Optional.of(false);
                } else {
                    error(line.pos(), ctx + ": " + block.keyword() + " " + line.keyword() + ": unexpected '" + w
                            + "' (expected weight N" + (noreverse ? ", reverse or noreverse)" : " or reverse)"));
                    ok = false;
                    break;
                }
            }
            if (ok) {
                out.add(new TrackRef(line.keyword(), line.pos(), weight, reverse));
            }
        }
        return out;
    }

    List<TrackedScript> resolveScripts(List<TrackRef> refs, String ctx, Map<String, VrrpScript> built,
                                               Optional<String> noWeights) {
        List<TrackedScript> out = new ArrayList<>();
        for (TrackRef r : refs) {
            VrrpScript s = built.get(r.name());
            if (s == null) {
                if (!scripts.containsKey(r.name())) {
                    error(r.at(), ctx + ": track_script '" + r.name() + "' names no vrrp_script");
                }
                continue;
            }
            int weight = r.weight().orElse(s.weight());
            if (weight != 0 && noWeights.isPresent()) {
                weightRefused(r, ctx, "track_script", weight, noWeights.get());
                continue;
            }
            out.add(new TrackedScript(r.name(), weight, r.reverse().orElse(s.weightReverse())));
        }
        return out;
    }

    List<TrackedFile> resolveFiles(List<TrackRef> refs, String ctx, Map<String, TrackFile> built,
                                           Optional<String> noWeights) {
        List<TrackedFile> out = new ArrayList<>();
        for (TrackRef r : refs) {
            TrackFile f = built.get(r.name());
            if (f == null) {
                error(r.at(), ctx + ": track_file '" + r.name() + "' names no vrrp_track_file");
                continue;
            }
            int weight = r.weight().orElse(f.weight());
            if (weight != 0 && noWeights.isPresent()) {
                weightRefused(r, ctx, "track_file", weight, noWeights.get());
                continue;
            }
            out.add(new TrackedFile(r.name(), weight, r.reverse().orElse(f.weightReverse())));
        }
        return out;
    }

    void checkInterfaceWeights(List<TrackRef> refs, String ctx, Optional<String> noWeights) {
        for (TrackRef r : refs) {
            int weight = r.weight().orElse(0);
            if (weight != 0 && noWeights.isPresent()) {
                weightRefused(r, ctx, "track_interface", weight, noWeights.get());
            }
        }
    }

    private void weightRefused(TrackRef r, String ctx, String list, int weight, String why) {
        error(r.at(), ctx + ": " + list + " '" + r.name() + "' has weight " + weight + ", but " + why
                + " (keepalived drops it); use weight 0, so that a failure means FAULT");
    }

    static List<TrackedInterface> interfaces(List<TrackRef> refs) {
        return refs.stream().map(r -> new TrackedInterface(r.name(), r.weight().orElse(0), r.reverse().orElse(false)))
                .toList();
    }

    // ================================================================================ notify

    static final class NotifyDraft {
        Optional<ScriptCommand> master = Optional.empty();
        Optional<ScriptCommand> backup = Optional.empty();
        Optional<ScriptCommand> fault = Optional.empty();
        Optional<ScriptCommand> stop = Optional.empty();
        Optional<ScriptCommand> deleted = Optional.empty();
        Optional<ScriptCommand> any = Optional.empty();
        Optional<ScriptCommand> rxLowerPri = Optional.empty();

        NotifyScripts build() {
            return new NotifyScripts(master, backup, fault, stop, deleted, any, rxLowerPri);
        }
    }

    /** Returns false if the keyword is not a notify keyword. */
    private boolean notify(Statement s, String ctx, NotifyDraft n) {
        switch (s.keyword()) {
            case "notify_master" -> command(s, ctx).ifPresent(c -> n.master = Optional.of(c));
            case "notify_backup" -> command(s, ctx).ifPresent(c -> n.backup = Optional.of(c));
            case "notify_fault" -> command(s, ctx).ifPresent(c -> n.fault = Optional.of(c));
            case "notify_stop" -> command(s, ctx).ifPresent(c -> n.stop = Optional.of(c));
            case "notify_deleted" -> command(s, ctx).ifPresent(c -> n.deleted = Optional.of(c));
            case "notify" -> command(s, ctx).ifPresent(c -> n.any = Optional.of(c));
            case "notify_master_rx_lower_pri" -> command(s, ctx).ifPresent(c -> n.rxLowerPri = Optional.of(c));
            default -> {
                return false;
            }
        }
        return true;
    }

    // ================================================================================ vrrp_instance

    int errorCount() {
        return (int) findings.stream().filter(Finding::isError).count();
    }

    private void instance(Statement block) {
        Optional<String> name = blockName(block);
        if (name.isEmpty()) {
            return;
        }
        InstanceDraft d = new InstanceDraft(name.get(), block.pos());
        String ctx = d.ctx;
        for (InstanceDraft other : instances) {
            if (other.name.equals(name.get())) {
                error(block.pos(), ctx + ": defined twice (first at " + other.at + ")");
                return;
            }
        }
        instances.add(d);
        Map<String, SourcePos> seen = new HashMap<>();
        for (Statement s : block.children()) {
            String kw = s.keyword();
            if (Vocabulary.isSupported(Block.VRRP_INSTANCE, kw) && !kw.startsWith("track_")
                    && !kw.startsWith("virtual_ipaddress") && !kw.equals("unicast_peer")) {
                read.setOnce(seen, s, ctx);
            }
            if (notify(s, ctx, d.notify)) {
                continue;
            }
            switch (kw) {
                case "state" -> read.text(s, ctx).ifPresent(v -> {
                    switch (v) {
                        case "MASTER" -> d.state = Optional.of(InitialState.MASTER);
                        case "BACKUP" -> d.state = Optional.of(InitialState.BACKUP);
                        default -> error(s.pos(), ctx + ": state '" + v + "' is neither MASTER nor BACKUP");
                    }
                });
                case "interface" -> read.text(s, ctx).ifPresent(v -> {
                    d.iface = Optional.of(v);
                    interfaceOnHost(v, s.pos(), "interface " + v + " for " + ctx);
                });
                case "virtual_router_id" -> {
                    d.vridGiven = true;
                    d.vrid = read.integer(s, ctx, 1, 255);
                }
                case "priority" -> {
                    d.priority = read.integer(s, ctx, 1, 255);
                    d.priorityAt = Optional.of(s);
                }
                case "advert_int" -> {
                    d.advert = read.seconds(s, ctx, MIN_ADVERT, MAX_ADVERT);
                    d.advertAt = Optional.of(s);
                }
                case "version" -> {
                    d.version = read.integer(s, ctx, 2, 3);
                    d.versionAt = Optional.of(s);
                }
                case "nopreempt" -> {
                    if (read.arity(s, ctx, 0, 0)) {
                        d.nopreempt = Optional.of(s);
                    }
                }
                case "preempt" -> {
                    if (read.arity(s, ctx, 0, 0)) {
                        d.nopreempt = Optional.empty();
                    }
                }
                case "preempt_delay" -> {
                    d.preemptDelay = read.seconds(s, ctx, Duration.ZERO, MAX_PREEMPT_DELAY);
                    d.preemptDelayAt = Optional.of(s);
                }
                case "unicast_src_ip" -> read.ip(s, ctx).ifPresent(v -> d.unicastSrc = Optional.of(v));
                case "mcast_src_ip" -> read.ip(s, ctx).ifPresent(v -> d.mcastSrc = Optional.of(v));
                case "mcast_dst_ip" -> read.ip(s, ctx).ifPresent(v -> {
                    if (!v.isMulticastAddress()) {
                        error(s.pos(), ctx + ": mcast_dst_ip " + s.arg(0) + " is not a multicast address");
                    } else {
                        d.mcastDst = Optional.of(v);
                    }
                });
                case "unicast_peer" -> unicastPeers(s, ctx, d.peers);
                case "virtual_ipaddress" -> {
                    d.vipsAt = Optional.of(s.pos());
                    virtualAddresses(s, ctx, d.vips, true);
                }
                case "virtual_ipaddress_excluded" -> virtualAddresses(s, ctx, d.evips, false);
                case "authentication" -> {
                    d.authAt = Optional.of(s.pos());
                    d.auth = authentication(s, ctx);
                }
                case "garp_master_delay" -> wholeSeconds(s, ctx).ifPresent(v -> d.garpMasterDelay = Optional.of(v));
                case "garp_master_repeat" -> read.integer(s, ctx, 1, 1_000_000).ifPresent(v -> d.garpMasterRepeat = Optional.of(v));
                case "garp_master_refresh" -> wholeSeconds(s, ctx).ifPresent(v -> d.garpMasterRefresh = Optional.of(v));
                case "garp_master_refresh_repeat" -> read.integer(s, ctx, 1, 1_000_000).ifPresent(v -> d.garpMasterRefreshRepeat = Optional.of(v));
                case "garp_lower_prio_delay" -> wholeSeconds(s, ctx).ifPresent(v -> d.garpLowerPrioDelay = Optional.of(v));
                case "garp_lower_prio_repeat" -> read.integer(s, ctx, 0, 1_000_000).ifPresent(v -> d.garpLowerPrioRepeat = Optional.of(v));
                case "track_interface" -> trackRefs(s, ctx, -253, 253, false).forEach(r -> {
                    interfaceOnHost(r.name(), r.at(), ctx + ": tracked interface " + r.name());
                    d.trackIf.add(r);
                });
                case "track_script" -> d.trackScript.addAll(trackRefs(s, ctx, -253, 253, true));
                case "track_file" -> d.trackFile.addAll(trackRefs(s, ctx, -254, 254, true));
                case "smtp_alert" -> read.flag(s, ctx).ifPresent(v -> {
                    d.smtpAlert = v;
                    if (v) {
                        warning(s.pos(), ctx + ": smtp_alert is accepted, but Vigil is not sending mail");
                    }
                });
                case "accept" -> read.flag(s, ctx).ifPresent(v -> d.accept = Optional.of(v));
                case "no_accept" -> read.flag(s, ctx).ifPresent(v -> d.accept = Optional.of(!v));
                case "dont_track_primary" -> read.flag(s, ctx).ifPresent(v -> d.dontTrackPrimary = v);
                case "track_src_ip" -> read.flag(s, ctx).ifPresent(v -> d.trackSrcIp = v);
                case "use_vmac" -> {
                    if (read.arity(s, ctx, 0, 1)) {
                        d.vmac = Optional.of(new Vmac(s.args().isEmpty() ? Optional.empty() : Optional.of(s.arg(0)),
                                Optional.empty(), false));
                    }
                }
                case "vmac_xmit_base" -> read.flag(s, ctx).ifPresent(v -> d.vmacXmitBase = v);
                case "v3_checksum_as_v2" -> read.flag(s, ctx).ifPresent(v -> d.v3ChecksumAsV2 = Optional.of(v));
                case "lower_prio_no_advert" -> read.flag(s, ctx).ifPresent(v -> d.lowerPrioNoAdvert = Optional.of(v));
                case "higher_prio_send_advert" -> read.flag(s, ctx).ifPresent(v -> d.higherPrioSendAdvert = Optional.of(v));
                case "skip_check_adv_addr" -> read.flag(s, ctx).ifPresent(v -> d.skipCheckAdvAddr = Optional.of(v));
                case "check_unicast_src" -> read.flag(s, ctx).ifPresent(v -> d.checkUnicastSrc = Optional.of(v));
                case "strict_mode" -> read.flag(s, ctx).ifPresent(v -> d.strictMode = v);
                case "down_timer_adverts" -> d.downTimerAdverts = read.integer(s, ctx, 1, 100);
                default -> notActedOnOrUnknown(Block.VRRP_INSTANCE, s, ctx);
            }
        }
    }

    private void unicastPeers(Statement block, String ctx, List<UnicastPeer> out) {
        if (!read.needsBlock(block, ctx)) {
            return;
        }
        for (Statement line : block.children()) {
            if (line.hasBlock()) {
                error(line.pos(), ctx + ": unicast_peer line takes no '{ }' block");
                continue;
            }
            Optional<InetAddress> a = read.ipValue(line.keyword(), line, ctx, "unicast_peer");
            OptionalInt min = OptionalInt.empty();
            OptionalInt max = OptionalInt.empty();
            boolean ok = a.isPresent();
            for (int i = 0; i < line.args().size(); i++) {
                String w = line.arg(i);
                if ((w.equals("min_ttl") || w.equals("max_ttl")) && i + 1 < line.args().size()) {
                    OptionalInt v = read.integerValue(line.arg(++i), line, ctx, "unicast_peer " + w, 0, 255);
                    ok &= v.isPresent();
                    if (w.equals("min_ttl")) {
                        min = v;
                    } else {
                        max = v;
                    }
                } else {
                    error(line.pos(), ctx + ": unicast_peer " + line.keyword() + ": unexpected '" + w
                            + "' (expected min_ttl N or max_ttl N)");
                    ok = false;
                    break;
                }
            }
            if (ok) {
                if (out.stream().anyMatch(pe -> pe.address().equals(a.get()))) {
                    warning(line.pos(), ctx + ": unicast_peer " + line.keyword() + " is listed twice");
                    continue;
                }
                out.add(new UnicastPeer(a.get(), min, max));
            }
        }
    }

    private Optional<PassAuthentication> authentication(Statement block, String ctx) {
        if (!read.needsBlock(block, ctx)) {
            return Optional.empty();
        }
        Optional<String> type = Optional.empty();
        Optional<String> pass = Optional.empty();
        for (Statement s : block.children()) {
            switch (s.keyword()) {
                case "auth_type" -> type = read.text(s, ctx);
                case "auth_pass" -> pass = read.text(s, ctx);
                default -> warning(s.pos(), ctx + ": unknown keyword '" + s.keyword() + "' in authentication");
            }
        }
        if (type.isEmpty()) {
            error(block.pos(), ctx + ": authentication without auth_type");
            return Optional.empty();
        }
        switch (type.get()) {
            case "PASS" -> {
            }
            case "AH" -> {
                error(block.pos(), ctx + ": auth_type AH (IPsec AH) is not supported; peers using it would"
                        + " reject Vigil's adverts");
                return Optional.empty();
            }
            default -> {
                error(block.pos(), ctx + ": auth_type '" + type.get() + "' is neither PASS nor AH");
                return Optional.empty();
            }
        }
        if (pass.isEmpty() || pass.get().isEmpty()) {
            error(block.pos(), ctx + ": auth_type PASS without auth_pass");
            return Optional.empty();
        }
        String p = pass.get();
        if (p.length() > 8) {
            warning(block.pos(), ctx + ": auth_pass is longer than 8 characters; only the first 8 are used, as in keepalived");
            p = p.substring(0, 8);
        }
        return Optional.of(new PassAuthentication(p));
    }

    // ================================================================================ addresses

    private void virtualAddresses(Statement block, String ctx, List<VirtualAddress> out, boolean sameFamily) {
        if (!read.needsBlock(block, ctx)) {
            return;
        }
        String list = block.keyword();
        for (Statement line : block.children()) {
            if (line.hasBlock()) {
                error(line.pos(), ctx + ": " + list + " line takes no '{ }' block");
                continue;
            }
            Optional<VirtualAddress> a = VirtualAddressLine.read(line, ctx, list, read);
            a.flatMap(VirtualAddress::device).ifPresent(dev -> interfaceOnHost(dev, line.pos(),
                    "interface " + dev + " for " + ctx + " address " + IpLiteral.format(a.get().address())));
            if (a.isEmpty()) {
                continue;
            }
            VirtualAddress v = a.get();
            if (sameFamily && !out.isEmpty() && out.get(0).family() != v.family()) {
                error(line.pos(), ctx + ": " + list + " mixes IPv4 and IPv6 (" + IpLiteral.format(v.address())
                        + " after " + IpLiteral.format(out.get(0).address())
                        + "); an advert carries one family: use another instance or virtual_ipaddress_excluded");
                continue;
            }
            if (out.stream().anyMatch(o -> o.address().equals(v.address()))) {
                warning(line.pos(), ctx + ": " + list + " lists " + IpLiteral.format(v.address()) + " twice");
                continue;
            }
            out.add(v);
        }
    }

    // ================================================================================ sync groups

    static final class SyncGroupDraft {
        final String name;
        final SourcePos at;
        final List<String> members = new ArrayList<>();
        final Map<String, SourcePos> memberAt = new LinkedHashMap<>();
        Optional<SourcePos> groupAt = Optional.empty();
        final List<TrackRef> trackIf = new ArrayList<>();
        final List<TrackRef> trackScript = new ArrayList<>();
        final List<TrackRef> trackFile = new ArrayList<>();
        final NotifyDraft notify = new NotifyDraft();
        boolean smtpAlert;
        boolean globalTracking;
        boolean trackingWeight;

        SyncGroupDraft(String name, SourcePos at) {
            this.name = name;
            this.at = at;
        }
    }

    private void syncGroup(Statement block) {
        Optional<String> name = blockName(block);
        if (name.isEmpty()) {
            return;
        }
        SyncGroupDraft d = new SyncGroupDraft(name.get(), block.pos());
        String ctx = "vrrp_sync_group " + name.get();
        for (SyncGroupDraft other : syncGroups) {
            if (other.name.equals(d.name)) {
                error(block.pos(), ctx + ": defined twice (first at " + other.at + ")");
                return;
            }
        }
        syncGroups.add(d);
        for (Statement s : block.children()) {
            if (notify(s, ctx, d.notify)) {
                continue;
            }
            switch (s.keyword()) {
                case "group" -> {
                    if (read.needsBlock(s, ctx)) {
                        d.groupAt = Optional.of(s.pos());
                        for (Statement line : s.children()) {
                            for (String member : line.words()) {
                                if (d.memberAt.containsKey(member)) {
                                    warning(line.pos(), ctx + ": " + member + " is listed twice");
                                } else {
                                    d.members.add(member);
                                    d.memberAt.put(member, line.pos());
                                }
                            }
                            if (line.hasBlock()) {
                                error(line.pos(), ctx + ": group member '" + line.keyword() + "' takes no '{ }' block");
                            }
                        }
                    }
                }
                case "track_interface" -> trackRefs(s, ctx, -253, 253, false).forEach(r -> {
                    interfaceOnHost(r.name(), r.at(), ctx + ": tracked interface " + r.name());
                    d.trackIf.add(r);
                });
                case "track_script" -> d.trackScript.addAll(trackRefs(s, ctx, -253, 253, true));
                case "track_file" -> d.trackFile.addAll(trackRefs(s, ctx, -254, 254, true));
                case "smtp_alert" -> read.flag(s, ctx).ifPresent(v -> {
                    d.smtpAlert = v;
                    if (v) {
                        warning(s.pos(), ctx + ": smtp_alert is accepted, but Vigil is not sending mail");
                    }
                });
                case "global_tracking" -> read.flag(s, ctx).ifPresent(v -> {
                    d.globalTracking = v;
                    warning(s.pos(), ctx + ": global_tracking is deprecated in keepalived; read as sync_group_tracking_weight");
                    d.trackingWeight = v;
                });
                case "sync_group_tracking_weight" -> read.flag(s, ctx).ifPresent(v -> d.trackingWeight = v);
                default -> notActedOnOrUnknown(Block.SYNC_GROUP, s, ctx);
            }
        }
    }

    private List<SyncGroup> checkSyncGroups(Map<String, VrrpScript> builtScripts, Map<String, TrackFile> builtFiles) {
        List<SyncGroup> out = new ArrayList<>();
        Map<String, String> groupOf = new HashMap<>();
        Set<String> instanceNames = new HashSet<>();
        instances.forEach(i -> instanceNames.add(i.name));
        for (SyncGroupDraft d : syncGroups) {
            String ctx = "vrrp_sync_group " + d.name;
            int errorsBefore = errorCount();
            if (d.groupAt.isEmpty()) {
                error(d.at, ctx + ": no 'group { ... }' of instances");
                continue;
            }
            for (String m : d.members) {
                SourcePos at = d.memberAt.get(m);
                if (!instanceNames.contains(m)) {
                    error(at, ctx + ": group member '" + m + "' names no vrrp_instance");
                } else if (groupOf.containsKey(m)) {
                    error(at, ctx + ": " + m + " is already in vrrp_sync_group " + groupOf.get(m)
                            + "; an instance can be in one sync group only");
                } else {
                    groupOf.put(m, d.name);
                }
            }
            if (d.members.size() == 1) {
                warning(d.groupAt.get(), ctx + ": has only one instance; a sync group of one does nothing");
            }
            List<TrackedScript> ts = resolveScripts(d.trackScript, ctx, builtScripts, Optional.empty());
            List<TrackedFile> tf = resolveFiles(d.trackFile, ctx, builtFiles, Optional.empty());
            if (errorCount() == errorsBefore) {
                out.add(new SyncGroup(d.name, d.members, interfaces(d.trackIf), ts, tf, d.notify.build(), d.smtpAlert,
                        d.globalTracking, d.trackingWeight));
            }
        }
        return out;
    }

    /**
     * keepalived adds a sync group's trackers to each member (sync_group_tracking_init), with the group's weight;
     * an entry the member has too takes the group's weight unless the member's is 0 (add_vrrp_to_track_script).
     * A weighted group tracker with an address-owner member is refused: keepalived clears the weight.
     */
    private List<VrrpInstance> withGroupTrackers(List<VrrpInstance> built, List<SyncGroup> groups) {
        Map<String, SyncGroup> groupOf = new HashMap<>();
        groups.forEach(g -> g.members().forEach(m -> groupOf.put(m, g)));
        Map<String, SyncGroupDraft> drafts = new HashMap<>();
        syncGroups.forEach(d -> drafts.putIfAbsent(d.name, d));
        for (SyncGroup g : groups) {
            List<String> owners = built.stream().filter(i -> g.members().contains(i.name()) && i.isAddressOwner())
                    .map(VrrpInstance::name).toList();
            if (!owners.isEmpty() && owners.size() < g.members().size()) {
                warning(drafts.get(g.name()).groupAt.orElse(drafts.get(g.name()).at), "vrrp_sync_group " + g.name()
                        + ": " + String.join(", ", owners) + " is the address owner (priority 255) and other members"
                        + " are not; the owner goes MASTER at once and takes the group with it (keepalived: \"This"
                        + " won't work\")");
            }
        }
        List<VrrpInstance> out = new ArrayList<>();
        for (VrrpInstance i : built) {
            SyncGroup g = groupOf.get(i.name());
            if (g == null) {
                out.add(i);
                continue;
            }
            SyncGroupDraft d = drafts.get(g.name());
            String ctx = "vrrp_sync_group " + g.name();
            List<TrackedInterface> ti = withGroupTrackers(i, ctx, "track_interface", i.trackInterfaces(), g.trackInterfaces(),
                    d.trackIf, TrackedInterface::name, TrackedInterface::weight);
            List<TrackedScript> ts = withGroupTrackers(i, ctx, "track_script", i.trackScripts(), g.trackScripts(),
                    d.trackScript, TrackedScript::name, TrackedScript::weight);
            List<TrackedFile> tf = withGroupTrackers(i, ctx, "track_file", i.trackFiles(), g.trackFiles(),
                    d.trackFile, TrackedFile::name, TrackedFile::weight);
            out.add(i.withTrackers(ti, ts, tf));
        }
        return out;
    }

    /**
     * A member's trackers of one kind with its group's added: the group's entry replaces the member's of the same
     * name unless the member's has weight 0 (keepalived's rule), with the findings {@link #groupTracker} reports.
     */
    private <T> List<T> withGroupTrackers(VrrpInstance member, String ctx, String list, List<T> own, List<T> group,
                                          List<TrackRef> refs, java.util.function.Function<T, String> name,
                                          java.util.function.ToIntFunction<T> weight) {
        List<T> merged = new ArrayList<>(own);
        for (T t : group) {
            int at = merged.stream().map(name).toList().indexOf(name.apply(t));
            groupTracker(member, ctx, list, name.apply(t), weight.applyAsInt(t), refs, at >= 0);
            if (at < 0) {
                merged.add(t);
            } else if (weight.applyAsInt(merged.get(at)) != 0) {
                merged.set(at, t);
            }
        }
        return merged;
    }

    private void groupTracker(VrrpInstance member, String ctx, String list, String name, int weight, List<TrackRef> refs,
                              boolean alsoOnMember) {
        SourcePos at = refs.stream().filter(r -> r.name().equals(name)).map(TrackRef::at).findFirst().orElse(member.declaredAt());
        if (weight != 0 && member.isAddressOwner()) {
            error(at, ctx + ": " + list + " '" + name + "' has weight " + weight + ", but member " + member.name()
                    + " is the address owner (priority 255), whose priority never changes (keepalived clears the"
                    + " weight); use weight 0, so that a failure means FAULT");
        }
        if (alsoOnMember) {
            warning(at, ctx + ": " + list + " '" + name + "' is also tracked by member " + member.name()
                    + "; the group's entry applies (unless the member's has weight 0), as keepalived does: remove one");
        }
    }

    // ================================================================================ cross checks

    /**
     * Two instances may not share a VRID on the same interface and family unless they can never hear
     * each other: keepalived keeps one socket per (interface, family, multicast or unicast) and looks
     * instances up by VRID in it.
     */
    private void checkDuplicateVrids(List<VrrpInstance> built) {
        for (int i = 0; i < built.size(); i++) {
            VrrpInstance a = built.get(i);
            for (int j = 0; j < i; j++) {
                VrrpInstance b = built.get(j);
                if (a.virtualRouterId() != b.virtualRouterId() || a.family() != b.family()
                        || !a.interfaceName().equals(b.interfaceName()) || a.isUnicast() != b.isUnicast()) {
                    continue;
                }
                boolean clash = a.isUnicast()
                        ? a.unicastPeers().stream().anyMatch(p -> b.unicastPeers().stream()
                        .anyMatch(q -> q.address().equals(p.address())))
                        : a.multicastGroup().equals(b.multicastGroup());
                if (clash) {
                    error(a.declaredAt(), "vrrp_instance " + a.name() + ": virtual_router_id " + a.virtualRouterId()
                            + " is already used by vrrp_instance " + b.name() + " (" + b.declaredAt() + ") on "
                            + a.interfaceName().orElse("the same peers") + " for "
                            + (a.family() == AddressFamily.IPV6 ? "IPv6" : "IPv4"));
                }
            }
        }
    }
}
