package dev.vigil.agent.config;

import dev.vigil.agent.check.PgCheckSettings;
import dev.vigil.agent.check.PgCheckSyntax;
import dev.vigil.agent.check.PgEndpoint;
import dev.vigil.agent.config.Vocabulary.Block;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads {@code virtual_server} and {@code virtual_server_group} blocks into {@link VirtualServer}s.
 *
 * <p>The rule (docs/load-balancing.md): a bad value is an error, as everywhere. Something Vigil's proxy cannot do
 * (IPVS forwarding {@code lb_kind DR|TUN}, {@code fwmark}, UDP, a checker kind it lacks, an IPVS-only scheduler)
 * is a warning at its line, and that whole virtual server is not served (never half of it): VRRP failover of
 * the same file is unaffected. {@code lb_kind NAT} (keepalived's default) is served as {@code lb_kind PROXY},
 * Vigil's forwarding, with a warning saying what differs.
 */
final class VirtualServerReader {

    static final Duration DEFAULT_DELAY_LOOP = Duration.ofSeconds(60);
    static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration DEFAULT_DELAY_BEFORE_RETRY = Duration.ofSeconds(1);
    static final Set<String> OTHER_CHECKERS = Set.of("SSL_GET", "SMTP_CHECK", "DNS_CHECK", "UDP_CHECK", "PING_CHECK",
            "FILE_CHECK", "BFD_CHECK");
    private static final Set<String> IPVS_SCHEDULERS = Set.of("lblc", "lblcr", "dh", "sed", "nq", "fo", "ovf", "mh", "twos");
    static final List<String> TIMING = List.of("delay_loop", "connect_timeout", "retry", "nb_get_retry",
            "delay_before_retry", "warmup", "rise", "fall");

    private final KeepalivedConfigParser p;
    private final ValueReader read;
    private final Map<String, GroupDraft> groups = new LinkedHashMap<>();
    private final List<VsDraft> servers = new ArrayList<>();

    VirtualServerReader(KeepalivedConfigParser p, ValueReader read) {
        this.p = p;
        this.read = read;
    }

    // ============================================================================ drafts

    private record GroupDraft(String name, List<ServiceAddress> members, SourcePos at, List<String> unservable) {}

    /** Timing values as written at one level; unset ones come from the enclosing level. */
    private static final class TimingDraft {
        Optional<Duration> delayLoop = Optional.empty();
        Optional<Duration> connectTimeout = Optional.empty();
        Optional<Integer> retry = Optional.empty();
        Optional<Duration> delayBeforeRetry = Optional.empty();
        Optional<Duration> warmup = Optional.empty();
        Optional<Integer> rise = Optional.empty();
        Optional<Integer> fall = Optional.empty();

        TimingDraft under(TimingDraft outer) {
            TimingDraft t = new TimingDraft();
            t.delayLoop = delayLoop.or(() -> outer.delayLoop);
            t.connectTimeout = connectTimeout.or(() -> outer.connectTimeout);
            t.retry = retry.or(() -> outer.retry);
            t.delayBeforeRetry = delayBeforeRetry.or(() -> outer.delayBeforeRetry);
            t.warmup = warmup.or(() -> outer.warmup);
            t.rise = rise.or(() -> outer.rise);
            t.fall = fall.or(() -> outer.fall);
            return t;
        }

        CheckTiming build() {
            int f = fall.orElse(retry.map(r -> r + 1).orElse(1));
            return new CheckTiming(connectTimeout.orElse(DEFAULT_CONNECT_TIMEOUT), delayLoop.orElse(DEFAULT_DELAY_LOOP),
                    delayBeforeRetry.orElse(DEFAULT_DELAY_BEFORE_RETRY), rise.orElse(1), f, warmup.orElse(Duration.ZERO));
        }
    }

    private static final class VsDraft {
        String name;
        SourcePos at;
        List<ServiceAddress> listen = List.of();
        Optional<String> group = Optional.empty();
        final TimingDraft timing = new TimingDraft();
        Scheduling scheduling = Scheduling.WLC;
        Optional<Duration> persistence = Optional.empty();
        int quorum = 1;
        int hysteresis;
        Optional<ScriptCommand> quorumUp = Optional.empty();
        Optional<ScriptCommand> quorumDown = Optional.empty();
        Optional<ServiceAddress> sorry = Optional.empty();
        boolean inhibit;
        boolean alpha;
        Optional<String> virtualhost = Optional.empty();
        final List<RsDraft> reals = new ArrayList<>();
        /** Why it cannot be served, each already reported at its own line. */
        final List<String> unservable = new ArrayList<>();
    }

    private static final class RsDraft {
        ServiceAddress address;
        SourcePos at;
        int weight = 1;
        Optional<Boolean> inhibit = Optional.empty();
        final TimingDraft timing = new TimingDraft();
        final List<Statement> checkers = new ArrayList<>();
    }

    // ============================================================================ virtual_server_group

    void group(Statement block) {
        if (!block.hasBlock() || block.args().size() != 1) {
            p.error(block.pos(), "virtual_server_group: needs exactly one name and a '{ }' block");
            return;
        }
        String name = block.arg(0);
        String ctx = "virtual_server_group " + name;
        if (groups.containsKey(name)) {
            p.error(block.pos(), ctx + ": defined twice (first at " + groups.get(name).at() + ")");
            return;
        }
        List<ServiceAddress> members = new ArrayList<>();
        List<String> unservable = new ArrayList<>();
        for (Statement s : block.children()) {
            if (s.keyword().equals("fwmark")) {
                p.warning(s.pos(), ctx + ": 'fwmark' is not supported: firewall marks select IPVS services;"
                        + " Vigil's proxy accepts on an address and port");
                unservable.add("fwmark");
                continue;
            }
            if (!read.noBlock(s, ctx)) {
                continue;
            }
            if (s.args().size() != 1) {
                p.error(s.pos(), ctx + ": '" + String.join(" ", s.words()) + "' is not 'ADDRESS PORT' or 'ADDRESS-LAST PORT'");
                continue;
            }
            Optional<Integer> port = port(s.arg(0), s, ctx);
            rangeOrAddress(s.keyword(), s, ctx).ifPresent(list -> port.ifPresent(pt -> list.forEach(
                    a -> members.add(new ServiceAddress(a, pt)))));
        }
        if (members.isEmpty() && unservable.isEmpty()) {
            p.error(block.pos(), ctx + ": no 'ADDRESS PORT' entry");
        }
        groups.put(name, new GroupDraft(name, members, block.pos(), unservable));
    }

    /** {@code 192.0.2.10} or keepalived's range {@code 192.0.2.10-20} (last byte) / {@code 2001:db8::10-20}. */
    private Optional<List<InetAddress>> rangeOrAddress(String word, Statement s, String ctx) {
        int dash = word.lastIndexOf('-');
        if (dash < 0) {
            return read.ipValue(word, s, ctx, "address").map(List::of);
        }
        Optional<InetAddress> first = read.ipValue(word.substring(0, dash), s, ctx, "address");
        if (first.isEmpty()) {
            return Optional.empty();
        }
        byte[] b = first.get().getAddress();
        int last = b[b.length - 1] & 0xff;
        int end;
        try {
            end = first.get() instanceof Inet4Address ? Integer.parseInt(word.substring(dash + 1))
                    : Integer.parseInt(word.substring(dash + 1), 16);
        } catch (NumberFormatException e) {
            p.error(s.pos(), ctx + ": range '" + word + "' does not end in a number");
            return Optional.empty();
        }
        if (end < last || end > 255) {
            p.error(s.pos(), ctx + ": range '" + word + "' must end between " + last + " and 255");
            return Optional.empty();
        }
        List<InetAddress> out = new ArrayList<>();
        for (int i = last; i <= end; i++) {
            b[b.length - 1] = (byte) i;
            try {
                out.add(InetAddress.getByAddress(b.clone()));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e);
            }
        }
        return Optional.of(out);
    }

    private Optional<Integer> port(String word, Statement s, String ctx) {
        try {
            int v = Integer.parseInt(word);
            if (v >= 1 && v <= 65535) {
                return Optional.of(v);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        p.error(s.pos(), ctx + ": port '" + word + "' is not a number in 1..65535");
        return Optional.empty();
    }

    private Optional<ServiceAddress> service(List<String> words, Statement s, String ctx) {
        if (words.size() != 2) {
            p.error(s.pos(), ctx + ": '" + s.keyword() + "' needs an address and a port");
            return Optional.empty();
        }
        Optional<InetAddress> ip = read.ipValue(words.get(0), s, ctx, "address");
        Optional<Integer> port = port(words.get(1), s, ctx);
        return ip.isPresent() && port.isPresent() ? Optional.of(new ServiceAddress(ip.get(), port.get())) : Optional.empty();
    }

    // ============================================================================ virtual_server

    void virtualServer(Statement block) {
        VsDraft d = new VsDraft();
        d.at = block.pos();
        List<String> a = block.args();
        if (!block.hasBlock()) {
            p.error(block.pos(), "virtual_server: needs 'ADDRESS PORT', 'group NAME' or 'fwmark N' and a '{ }' block");
            return;
        }
        if (a.size() == 2 && a.get(0).equals("fwmark")) {
            d.name = "fwmark " + a.get(1);
            p.warning(block.pos(), "virtual_server fwmark " + a.get(1) + ": 'fwmark' is not supported: firewall marks"
                    + " select IPVS services; Vigil's proxy accepts on an address and port");
            d.unservable.add("fwmark");
        } else if (a.size() == 2 && a.get(0).equals("group")) {
            d.name = "group " + a.get(1);
            d.group = Optional.of(a.get(1));
        } else if (a.size() == 2) {
            d.name = String.join(" ", a);
            Optional<ServiceAddress> sa = service(a, block, "virtual_server");
            if (sa.isEmpty()) {
                return;
            }
            d.name = sa.get().describe();
            d.listen = List.of(sa.get());
        } else {
            p.error(block.pos(), "virtual_server: needs 'ADDRESS PORT', 'group NAME' or 'fwmark N', not '"
                    + String.join(" ", a) + "'");
            return;
        }
        String ctx = "virtual_server " + d.name;
        Map<String, SourcePos> seen = new HashMap<>();
        for (Statement s : block.children()) {
            if (Vocabulary.isSupported(Block.VIRTUAL_SERVER, s.keyword()) && !s.keyword().equals("real_server")) {
                read.setOnce(seen, s, ctx);
            }
            if (timing(s, ctx, d.timing)) {
                continue;
            }
            switch (s.keyword()) {
                case "lb_algo", "lvs_sched" -> read.text(s, ctx).ifPresent(w -> {
                    Optional<Scheduling> sch = Scheduling.parse(w);
                    if (sch.isPresent()) {
                        d.scheduling = sch.get();
                    } else if (IPVS_SCHEDULERS.contains(w)) {
                        p.warning(s.pos(), ctx + ": '" + s.keyword() + "' " + w + " is not supported: Vigil schedules"
                                + " rr, wrr, lc, wlc and sh");
                        d.unservable.add(s.keyword() + " " + w);
                    } else {
                        p.error(s.pos(), ctx + ": " + s.keyword() + " '" + w + "' is not a scheduler (rr, wrr, lc, wlc, sh)");
                    }
                });
                case "lb_kind", "lvs_method" -> read.text(s, ctx).ifPresent(w -> forwarding(w, s, ctx, d));
                case "protocol" -> read.text(s, ctx).ifPresent(w -> {
                    if (!w.equals("TCP")) {
                        if (w.equals("UDP") || w.equals("SCTP")) {
                            p.warning(s.pos(), ctx + ": 'protocol' " + w + " is not supported: Vigil's proxy forwards TCP");
                            d.unservable.add("protocol " + w);
                        } else {
                            p.error(s.pos(), ctx + ": protocol '" + w + "' is not TCP, UDP or SCTP");
                        }
                    }
                });
                case "persistence_timeout" -> read.integer(s, ctx, 1, Integer.MAX_VALUE)
                        .ifPresent(v -> d.persistence = Optional.of(Duration.ofSeconds(v)));
                case "quorum" -> read.integer(s, ctx, 1, Integer.MAX_VALUE).ifPresent(v -> d.quorum = v);
                case "hysteresis" -> read.integer(s, ctx, 0, Integer.MAX_VALUE).ifPresent(v -> d.hysteresis = v);
                case "quorum_up" -> command(s, ctx).ifPresent(c -> d.quorumUp = Optional.of(c));
                case "quorum_down" -> command(s, ctx).ifPresent(c -> d.quorumDown = Optional.of(c));
                case "sorry_server" -> {
                    if (read.noBlock(s, ctx)) {
                        service(s.args(), s, ctx).ifPresent(v -> d.sorry = Optional.of(v));
                    }
                }
                case "inhibit_on_failure" -> read.flag(s, ctx).ifPresent(v -> d.inhibit = v);
                case "alpha" -> read.flag(s, ctx).ifPresent(v -> d.alpha = v);
                case "virtualhost" -> read.text(s, ctx).ifPresent(v -> d.virtualhost = Optional.of(v));
                case "real_server" -> realServer(s, ctx, d);
                default -> p.notActedOnOrUnknown(Block.VIRTUAL_SERVER, s, ctx);
            }
        }
        servers.add(d);
    }

    private void forwarding(String w, Statement s, String ctx, VsDraft d) {
        switch (w) {
            case "PROXY" -> {
            }
            case "NAT" -> p.warning(s.pos(), ctx + ": 'lb_kind' NAT is served by Vigil's TCP proxy: real servers see"
                    + " connections from this node's address, not the client's; write 'lb_kind PROXY' to say so");
            case "DR", "TUN" -> {
                p.warning(s.pos(), ctx + ": 'lb_kind' " + w + " is not supported: it needs IPVS, which Vigil does not"
                        + " drive; Vigil forwards as a TCP proxy, 'lb_kind PROXY' (see docs/load-balancing.md)");
                d.unservable.add("lb_kind " + w);
            }
            default -> p.error(s.pos(), ctx + ": lb_kind '" + w + "' is not PROXY, NAT, DR or TUN");
        }
    }

    private Optional<ScriptCommand> command(Statement s, String ctx) {
        if (!read.noBlock(s, ctx)) {
            return Optional.empty();
        }
        if (s.args().isEmpty() || s.arg(0).isBlank()) {
            p.error(s.pos(), ctx + ": '" + s.keyword() + "' needs a command");
            return Optional.empty();
        }
        return Optional.of(new ScriptCommand(s.arg(0), s.args().size() > 1
                ? Optional.of(ValueReader.scriptUser(s.args().subList(1, s.args().size()))) : Optional.empty()));
    }

    /** A timing keyword at any level; false when {@code s} is something else. */
    private boolean timing(Statement s, String ctx, TimingDraft t) {
        switch (s.keyword()) {
            case "delay_loop" -> read.seconds(s, ctx, Duration.ofMillis(10), Duration.ofDays(1))
                    .ifPresent(v -> t.delayLoop = Optional.of(v));
            case "connect_timeout" -> read.seconds(s, ctx, Duration.ofMillis(1), Duration.ofHours(1))
                    .ifPresent(v -> t.connectTimeout = Optional.of(v));
            case "retry", "nb_get_retry" -> read.integer(s, ctx, 0, 1000).ifPresent(v -> t.retry = Optional.of(v));
            case "delay_before_retry" -> read.seconds(s, ctx, Duration.ofMillis(1), Duration.ofDays(1))
                    .ifPresent(v -> t.delayBeforeRetry = Optional.of(v));
            case "warmup" -> read.seconds(s, ctx, Duration.ZERO, Duration.ofDays(1)).ifPresent(v -> t.warmup = Optional.of(v));
            case "rise" -> read.integer(s, ctx, 1, 1000).ifPresent(v -> t.rise = Optional.of(v));
            case "fall" -> read.integer(s, ctx, 1, 1000).ifPresent(v -> t.fall = Optional.of(v));
            default -> {
                return false;
            }
        }
        return true;
    }

    private void realServer(Statement block, String vsCtx, VsDraft vs) {
        if (vs.name.startsWith("fwmark ")) {
            return;   // not served anyway (reported); its real servers have no port
        }
        if (!block.hasBlock()) {
            // keepalived accepts a real_server without checkers and without a block
            block = new Statement(block.keyword(), block.args(), block.pos(), Optional.of(List.of()));
        }
        Optional<ServiceAddress> a = service(block.args(), block, vsCtx);
        if (a.isEmpty()) {
            return;
        }
        RsDraft r = new RsDraft();
        r.address = a.get();
        r.at = block.pos();
        String ctx = vsCtx + " real_server " + r.address;
        Map<String, SourcePos> seen = new HashMap<>();
        for (Statement s : block.children()) {
            if (timing(s, ctx, r.timing)) {
                continue;
            }
            switch (s.keyword()) {
                case "weight" -> {
                    read.setOnce(seen, s, ctx);
                    read.integer(s, ctx, 0, 65535).ifPresent(v -> r.weight = v);
                }
                case "inhibit_on_failure" -> read.flag(s, ctx).ifPresent(v -> r.inhibit = Optional.of(v));
                case "TCP_CHECK", "HTTP_GET", "MISC_CHECK", "PG_CHECK" -> {
                    if (read.needsBlock(s, ctx)) {
                        r.checkers.add(s);
                    }
                }
                default -> {
                    if (OTHER_CHECKERS.contains(s.keyword())) {
                        p.warning(s.pos(), ctx + ": '" + s.keyword() + "' is not supported: Vigil checks with TCP_CHECK,"
                                + " HTTP_GET, MISC_CHECK and PG_CHECK");
                        vs.unservable.add(s.keyword());
                    } else {
                        p.notActedOnOrUnknown(Block.REAL_SERVER, s, ctx);
                    }
                }
            }
        }
        vs.reals.add(r);
    }

    // ============================================================================ checkers

    private Optional<RealServerCheck> checker(Statement block, RsDraft rs, TimingDraft outer, VsDraft vs, String rsCtx) {
        String kind = block.keyword();
        String ctx = rsCtx + " " + kind;
        TimingDraft t = new TimingDraft();
        Optional<Integer> connectPort = Optional.empty();
        Optional<InetAddress> connectIp = Optional.empty();
        List<RealServerCheck.Url> urls = new ArrayList<>();
        Optional<String> virtualhost = vs.virtualhost;
        Optional<ScriptCommand> misc = Optional.empty();
        Optional<Duration> miscTimeout = Optional.empty();
        boolean dynamic = false;
        List<PgCheckSyntax.Line<SourcePos>> pgLines = new ArrayList<>();
        boolean ok = true;
        for (Statement s : block.children()) {
            if (timing(s, ctx, t)) {
                continue;
            }
            String k = s.keyword();
            if (kind.equals("PG_CHECK") && PgCheckSyntax.KEYWORDS.contains(k)) {
                pgLines.add(new PgCheckSyntax.Line<>(k, s.args(), s.pos()));
                continue;
            }
            switch (k) {
                case "connect_port" -> {
                    if (read.arity(s, ctx, 1, 1)) {
                        Optional<Integer> v = port(s.arg(0), s, ctx);
                        connectPort = v.isPresent() ? v : connectPort;
                        ok &= v.isPresent();
                    }
                }
                case "connect_ip" -> {
                    Optional<InetAddress> v = read.ip(s, ctx);
                    connectIp = v.isPresent() ? v : connectIp;
                }
                case "url" -> {
                    if (!kind.equals("HTTP_GET")) {
                        p.error(s.pos(), ctx + ": 'url' belongs to HTTP_GET");
                    } else if (read.needsBlock(s, ctx)) {
                        url(s, ctx).ifPresent(urls::add);
                    }
                }
                case "virtualhost" -> read.text(s, ctx).ifPresent(v -> { });
                case "misc_path" -> {
                    if (!kind.equals("MISC_CHECK")) {
                        p.error(s.pos(), ctx + ": 'misc_path' belongs to MISC_CHECK");
                    } else {
                        misc = command(s, ctx);
                    }
                }
                case "misc_timeout" -> miscTimeout = read.seconds(s, ctx, Duration.ofMillis(1), Duration.ofHours(1));
                case "misc_dynamic" -> dynamic = read.flag(s, ctx).orElse(false);
                default -> p.notActedOnOrUnknown(Block.CHECKER, s, ctx);
            }
            if (k.equals("virtualhost") && s.args().size() == 1) {
                virtualhost = Optional.of(s.arg(0));
            }
        }
        CheckTiming timing = t.under(outer).build();
        ServiceAddress target = new ServiceAddress(connectIp.orElse(rs.address.ip()),
                connectPort.orElse(rs.address.port()));
        if (!ok) {
            return Optional.empty();
        }
        switch (kind) {
            case "TCP_CHECK" -> {
                return Optional.of(new RealServerCheck.Tcp(target, timing, block.pos()));
            }
            case "HTTP_GET" -> {
                if (urls.isEmpty()) {
                    p.error(block.pos(), ctx + ": no 'url { path ... }'");
                    return Optional.empty();
                }
                return Optional.of(new RealServerCheck.Http(target, urls, virtualhost, timing, block.pos()));
            }
            case "MISC_CHECK" -> {
                if (misc.isEmpty()) {
                    p.error(block.pos(), ctx + ": no 'misc_path'");
                    return Optional.empty();
                }
                return Optional.of(new RealServerCheck.Misc(misc.get(), miscTimeout.orElse(timing.delayLoop()), dynamic,
                        timing, block.pos()));
            }
            default -> {
                PgCheckSyntax.Parsed<SourcePos> parsed = PgCheckSyntax.read(rs.address.describe(), pgLines, block.pos());
                String theirs = "vrrp_script " + rs.address.describe() + " pg_check: ";
                parsed.problems().forEach(pr -> p.error(pr.at(), pr.message().replace(theirs, ctx + ": ")));
                if (parsed.settings().isEmpty()) {
                    return Optional.empty();
                }
                PgCheckSettings settings = parsed.settings().get();
                boolean hostGiven = pgLines.stream().anyMatch(l -> l.keyword().equals("host"));
                boolean portGiven = pgLines.stream().anyMatch(l -> l.keyword().equals("port"));
                if (!hostGiven) {
                    int port = portGiven ? settings.endpoint().port() : target.port();
                    settings = settings.withEndpoint(new PgEndpoint.Tcp(IpLiteral.format(target.ip()), port));
                }
                return Optional.of(new RealServerCheck.Pg(settings, timing, block.pos()));
            }
        }
    }

    private Optional<RealServerCheck.Url> url(Statement block, String ctx) {
        Optional<String> path = Optional.empty();
        List<Integer> codes = new ArrayList<>();
        Optional<String> vhost = Optional.empty();
        for (Statement s : block.children()) {
            switch (s.keyword()) {
                case "path" -> path = read.text(s, ctx + " url");
                case "status_code" -> {
                    if (read.arity(s, ctx, 1, 64)) {
                        for (String w : s.args()) {
                            statusCodes(w, s, ctx).forEach(codes::add);
                        }
                    }
                }
                case "virtualhost" -> vhost = read.text(s, ctx + " url");
                case "digest", "regex", "regex_no_match", "regex_options", "regex_stack", "regex_min_offset",
                        "regex_max_offset" -> p.warning(s.pos(), ctx + " url: '" + s.keyword()
                        + "' is ignored: Vigil checks the status code only");
                default -> p.warning(s.pos(), ctx + " url: unknown keyword '" + s.keyword() + "'");
            }
        }
        if (path.isEmpty()) {
            p.error(block.pos(), ctx + ": 'url' needs a 'path'");
            return Optional.empty();
        }
        return Optional.of(new RealServerCheck.Url(path.get(), codes, vhost));
    }

    /** {@code 200}, or keepalived's range {@code 200-299}. */
    private List<Integer> statusCodes(String w, Statement s, String ctx) {
        String[] parts = w.split("-", 2);
        try {
            int from = Integer.parseInt(parts[0]);
            int to = parts.length == 2 ? Integer.parseInt(parts[1]) : from;
            if (from >= 100 && to <= 599 && to >= from) {
                List<Integer> out = new ArrayList<>();
                for (int i = from; i <= to; i++) {
                    out.add(i);
                }
                return out;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        p.error(s.pos(), ctx + ": status_code '" + w + "' is not a code or range in 100..599");
        return List.of();
    }

    // ============================================================================ build

    /** Every servable virtual server; call once, after the whole file is read. */
    List<VirtualServer> build() {
        List<VirtualServer> out = new ArrayList<>();
        Map<ServiceAddress, SourcePos> taken = new HashMap<>();
        for (VsDraft d : servers) {
            String ctx = "virtual_server " + d.name;
            List<ServiceAddress> listen = d.listen;
            if (d.group.isPresent()) {
                GroupDraft g = groups.get(d.group.get());
                if (g == null) {
                    p.error(d.at, ctx + ": no virtual_server_group named '" + d.group.get() + "'");
                    continue;
                }
                listen = g.members();
                d.unservable.addAll(g.unservable());
            }
            if (d.reals.isEmpty() && d.sorry.isEmpty()) {
                p.warning(d.at, ctx + ": no real_server and no sorry_server: every connection is refused");
            }
            List<RealServer> reals = new ArrayList<>();
            TimingDraft vsTiming = d.timing;
            for (RsDraft r : d.reals) {
                String rsCtx = ctx + " real_server " + r.address;
                TimingDraft rt = r.timing.under(vsTiming);
                List<RealServerCheck> checks = new ArrayList<>();
                for (Statement c : r.checkers) {
                    checker(c, r, rt, d, rsCtx).ifPresent(checks::add);
                }
                reals.add(new RealServer(r.address, r.weight, r.inhibit.orElse(d.inhibit), checks, r.at));
            }
            if (!d.unservable.isEmpty()) {
                p.warning(d.at, ctx + ": not served (" + String.join(", ", d.unservable) + "; see the warnings above)");
                continue;
            }
            for (ServiceAddress a : listen) {
                SourcePos before = taken.putIfAbsent(a, d.at);
                if (before != null) {
                    p.error(d.at, ctx + ": " + a + " is already a virtual server at " + before);
                }
            }
            out.add(new VirtualServer(d.name, listen, vsTiming.build().delayLoop(), d.scheduling, d.persistence, d.quorum,
                    d.hysteresis, d.quorumUp, d.quorumDown, d.sorry, reals, d.at, d.alpha));
        }
        return out;
    }
}
