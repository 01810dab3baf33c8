package dev.vigil.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A throwaway network: segments (Linux bridges in the root namespace) and hosts (network namespaces with a
 * veth into each of their segments), plus the failures a test needs: kill a host, cut its link, partition two
 * hosts; and packet captures on a segment.
 *
 * <p>Use it as a JUnit 5 extension, which opens it before each test (or before all, when the field is
 * static) and closes it afterwards, also when the test fails:
 * <pre>{@code
 * @RegisterExtension final NetLab lab = NetLab.extension();
 *
 * @Test void pings() {
 *     Segment vrrp = lab.segment("vrrp");
 *     Host a = lab.host("a", vrrp), b = lab.host("b", vrrp);
 *     assertTrue(a.exec("ping", "-c1", "-W1", b.address()).ok());
 * }
 * }</pre>
 * or programmatically: {@code try (NetLab lab = NetLab.create("demo")) { ... }}.
 *
 * <p>Every name on the machine carries the lab's prefix {@code vl} + 4 random characters ({@link #prefix()}):
 * namespaces {@code PREFIX-host}, bridges {@code PREFIXbrN}, bridge ports {@code PREFIXhNsM}, the nftables table
 * {@code bridge PREFIX}. Opening a lab first removes those of earlier runs that were killed (their lock in
 * /run/vigil-labs is free), and never touches a live lab's or anything else.
 */
public final class NetLab implements AutoCloseable, BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {

    static final String KIND = "vl";
    private static final Pattern NAMESPACE = Pattern.compile("^(vl[a-z0-9]{4})-[a-z0-9-]+$");
    private static final Pattern LINK = Pattern.compile("^(vl[a-z0-9]{4})(br\\d+|h\\d+s\\d+)$");
    private static final Pattern NFT_TABLE = Pattern.compile("^table bridge (vl[a-z0-9]{4})$");
    /** How long a lab waits for another process's lab to give up a root-namespace address (a suite or the demo). */
    private static final Duration ROOT_ADDRESS_PATIENCE = Duration.ofMinutes(4);
    private static final Pattern HOST_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,31}");

    private String label = "netlab";
    private LabLock lock;
    private boolean perClass;
    private final List<Segment> segments = new ArrayList<>();
    private final Map<String, Host> hosts = new LinkedHashMap<>();
    private final Set<List<String>> partitions = new LinkedHashSet<>();
    private final List<RootAddressLock> rootAddresses = new ArrayList<>();
    private final List<Capture> captures = new ArrayList<>();

    private NetLab() {
    }

    /** An unopened lab for {@code @RegisterExtension}; JUnit opens and closes it. */
    public static NetLab extension() {
        return new NetLab();
    }

    /** Opens a lab now (checks requirements, removes leftovers of killed runs). Close it when done. */
    public static NetLab create(String label) {
        NetLab lab = new NetLab();
        lab.open(label);
        return lab;
    }

    synchronized void open(String label) {
        if (lock != null) {
            throw new IllegalStateException("NetLab " + prefix() + " is already open");
        }
        Requirements.requireNamespaces();
        sweepLeftovers();
        this.label = label;
        this.lock = LabLock.acquire(KIND, "NetLab", this);
    }

    /** The lab's unique name prefix, e.g. "vl3k9a". */
    public synchronized String prefix() {
        return requireOpen().name();
    }

    /** Where logs of started processes and captures live (deleted on close). */
    public synchronized Path workDir() {
        return requireOpen().workDir();
    }

    /** A segment without any address in the root namespace. */
    public Segment segment(String name) {
        return segment(name, false);
    }

    /**
     * Creates a segment (bridge). With {@code rootAddress}, the root namespace gets address .1 (and ::1) on it,
     * e.g. for a coordinator running in the test JVM; two live labs cannot both do that for the same
     * segment number, which this method refuses with a clear error.
     */
    public synchronized Segment segment(String name, boolean rootAddress) {
        String prefix = prefix();
        if (segments.stream().anyMatch(s -> s.name().equals(name))) {
            throw new IllegalArgumentException("segment '" + name + "' already exists in lab " + prefix);
        }
        int index = segments.size();
        if (index >= Segment.IPV4_NETS.length) {
            throw new IllegalStateException("a lab has at most " + Segment.IPV4_NETS.length + " segments (documentation ranges)");
        }
        Segment segment = new Segment(name, index, prefix + "br" + index, rootAddress);
        if (rootAddress) {
            rootAddresses.add(RootAddressLock.acquire(index, ROOT_ADDRESS_PATIENCE,
                    "cannot give the root namespace an address on " + segment.subnet4() + ": another live lab already has one"));
            String used = Exec.run("ip", "-o", "addr", "show", "to", segment.subnet4()).stdout().strip();
            if (!used.isEmpty()) {
                throw new IllegalStateException("cannot give the root namespace an address on " + segment.subnet4()
                        + ": another interface (another live lab?) already has one: " + used);
            }
        }
        segments.add(segment);
        Exec.check("ip", "link", "add", "name", segment.bridge(), "type", "bridge", "mcast_snooping", "0");
        if (rootAddress) {
            Exec.check("ip", "addr", "add", segment.ip4(1) + "/24", "dev", segment.bridge());
            Exec.check("ip", "addr", "add", segment.ip6(1) + "/64", "dev", segment.bridge(), "nodad");
        } else {
            disableIpv6(segment.bridge());
        }
        Exec.check("ip", "link", "set", segment.bridge(), "up");
        return segment;
    }

    /** Creates a host (namespace) with one interface per segment: eth0 on the first, eth1 on the second... */
    public synchronized Host host(String name, Segment... onSegments) {
        String prefix = prefix();
        if (!HOST_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("host name '" + name + "' must match " + HOST_NAME.pattern());
        }
        if (hosts.containsKey(name)) {
            throw new IllegalArgumentException("host '" + name + "' already exists in lab " + prefix);
        }
        if (onSegments.length == 0) {
            throw new IllegalArgumentException("host '" + name + "' needs at least one segment");
        }
        int number = hosts.size() + 1;
        String namespace = prefix + "-" + name;
        List<Host.Link> links = new ArrayList<>();
        for (int k = 0; k < onSegments.length; k++) {
            Segment segment = onSegments[k];
            if (!segments.contains(segment)) {
                throw new IllegalArgumentException("segment " + segment.name() + " does not belong to lab " + prefix);
            }
            links.add(new Host.Link(segment, "eth" + k, prefix + "h" + number + "s" + segment.index()));
        }
        Host host = new Host(this, name, number, namespace, links);
        hosts.put(name, host);
        Exec.check("ip", "netns", "add", namespace);
        // Link-local addresses must be usable at once (VRRPv3 over IPv6 sends from them), so no DAD at all.
        host.exec("sysctl", "-q", "-w", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0").orThrow();
        Exec.check("ip", "-n", namespace, "link", "set", "lo", "up");
        for (Host.Link link : links) {
            Exec.check("ip", "link", "add", link.bridgePort(), "type", "veth", "peer", "name", link.ifname(), "netns", namespace);
            disableIpv6(link.bridgePort());
            Exec.check("ip", "link", "set", link.bridgePort(), "master", link.segment().bridge(), "up");
            Exec.check("ip", "-n", namespace, "addr", "add", host.address(link.segment()) + "/24", "dev", link.ifname());
            Exec.check("ip", "-n", namespace, "addr", "add", host.address6(link.segment()) + "/64", "dev", link.ifname(), "nodad");
            Exec.check("ip", "-n", namespace, "link", "set", link.ifname(), "up");
        }
        return host;
    }

    public synchronized List<Host> hosts() {
        return List.copyOf(hosts.values());
    }

    public synchronized List<Segment> segments() {
        return List.copyOf(segments);
    }

    /** A host's death: its links cut, then every process in its namespace killed (SIGKILL). */
    public void kill(Host host) {
        cutLink(host);
        killProcessesIn(host.namespace());
    }

    /** Takes every bridge port of the host down: inside, its interfaces lose carrier (a pulled cable). */
    public void cutLink(Host host) {
        for (Host.Link link : host.links()) {
            Exec.check("ip", "link", "set", link.bridgePort(), "down");
        }
    }

    /** Brings the host's bridge ports up again and returns once its interfaces have carrier (neighbours re-resolve lazily). */
    public void restoreLink(Host host) {
        for (Host.Link link : host.links()) {
            Exec.check("ip", "link", "set", link.bridgePort(), "up");
        }
        long deadline = System.nanoTime() + 10_000_000_000L;
        for (Host.Link link : host.links()) {
            while (!Exec.run("ip", "-n", host.namespace(), "-o", "link", "show", link.ifname()).stdout().contains("state UP")) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("interface " + link.ifname() + " of host " + host.name() + " has no carrier 10 s after restoreLink");
                }
                HostProcess.sleep(20);
            }
        }
    }

    /** Drops every frame between the two hosts in both directions (ARP and multicast included); links stay up. */
    public synchronized void partition(Host a, Host b) {
        if (a.equals(b)) {
            throw new IllegalArgumentException("cannot partition host " + a.name() + " from itself");
        }
        partitions.add(List.of(a.name(), b.name()));
        applyPartitions();
    }

    public synchronized void heal(Host a, Host b) {
        partitions.remove(List.of(a.name(), b.name()));
        partitions.remove(List.of(b.name(), a.name()));
        applyPartitions();
    }

    /** Starts capturing everything on the segment's bridge; returns once capture is running. */
    public synchronized Capture capture(Segment segment) {
        Requirements.requireCommand("dumpcap");
        Requirements.requireCommand("tshark");
        Path file = workDir().resolve("capture-" + segment.name() + "-" + (captures.size() + 1) + ".pcapng");
        Capture capture = Capture.start(segment, file);
        captures.add(capture);
        return capture;
    }

    private void applyPartitions() {
        String table = prefix();
        if (partitions.isEmpty()) {
            Exec.run("nft", "delete", "table", "bridge", table);
            return;
        }
        StringBuilder script = new StringBuilder()
                .append("table bridge ").append(table).append(" {}\n")
                .append("delete table bridge ").append(table).append("\n")
                .append("table bridge ").append(table).append(" {\n")
                .append("  chain partition {\n    type filter hook forward priority 0; policy accept;\n");
        for (List<String> pair : partitions) {
            for (Host.Link from : hosts.get(pair.get(0)).links()) {
                for (Host.Link to : hosts.get(pair.get(1)).links()) {
                    script.append("    iifname \"").append(from.bridgePort()).append("\" oifname \"").append(to.bridgePort()).append("\" drop\n");
                    script.append("    iifname \"").append(to.bridgePort()).append("\" oifname \"").append(from.bridgePort()).append("\" drop\n");
                }
            }
        }
        script.append("  }\n}\n");
        try {
            Path file = workDir().resolve("partitions.nft");
            Files.writeString(file, script);
            Exec.check("nft", "-f", file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write nftables script", e);
        }
    }

    /** Removes everything this lab made. Idempotent; also runs from a shutdown hook if the JVM exits first. */
    @Override
    public synchronized void close() {
        if (lock == null) {
            return;
        }
        Teardown teardown = new Teardown();
        teardown.each(captures, Capture::close);
        teardown.step(() -> removeResources(lock.name()));
        teardown.each(rootAddresses, RootAddressLock::close);
        rootAddresses.clear();
        teardown.step(lock::close);
        lock = null;
        segments.clear();
        hosts.clear();
        partitions.clear();
        captures.clear();
        teardown.finish("NetLab");
    }

    private LabLock requireOpen() {
        if (lock == null) {
            throw new IllegalStateException("NetLab is not open: register it with @RegisterExtension or use NetLab.create(name)");
        }
        return lock;
    }

    // ---- leftovers -------------------------------------------------------------------------------------------

    /** Removes namespaces, links and nft tables of labs whose owner died. Lists first, then checks liveness. */
    static synchronized void sweepLeftovers() {
        Set<String> names = new TreeSet<>();
        namespaces().forEach(ns -> match(NAMESPACE, ns).ifPresent(names::add));
        links().forEach(link -> match(LINK, link).ifPresent(names::add));
        nftTables().forEach(t -> match(NFT_TABLE, t).ifPresent(names::add));
        for (String name : names) {
            if (!LabLock.isAlive(name)) {
                removeResources(name);
            }
        }
        LabLock.sweepDead(KIND, name -> {
            removeResources(name);
            return true;
        });
    }

    /** Everything on the machine named after lab {@code name}: processes in its namespaces, links, namespaces, table. */
    static void removeResources(String name) {
        List<String> ours = namespaces().stream().filter(ns -> match(NAMESPACE, ns).filter(name::equals).isPresent()).toList();
        ours.forEach(NetLab::killProcessesIn);
        List<String> links = links().stream().filter(l -> match(LINK, l).filter(name::equals).isPresent()).toList();
        // Ports before bridges; deleting a port deletes its peer inside the namespace at once.
        links.stream().filter(l -> !l.substring(name.length()).startsWith("br")).forEach(l -> Exec.run("ip", "link", "del", l));
        links.stream().filter(l -> l.substring(name.length()).startsWith("br")).forEach(l -> Exec.run("ip", "link", "del", l));
        ours.forEach(ns -> Exec.run("ip", "netns", "delete", ns));
        if (nftTables().contains("table bridge " + name)) {
            Exec.run("nft", "delete", "table", "bridge", name);
        }
    }

    static void killProcessesIn(String namespace) {
        for (int round = 0; round < 100; round++) {
            List<Long> pids = Exec.run("ip", "netns", "pids", namespace).stdout().lines()
                    .map(String::strip).filter(s -> !s.isEmpty()).map(Long::valueOf).toList();
            if (pids.isEmpty()) {
                return;
            }
            pids.forEach(pid -> ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly));
            HostProcess.sleep(20);
        }
        throw new IllegalStateException("processes in namespace " + namespace + " survive SIGKILL: "
                + Exec.run("ip", "netns", "pids", namespace).stdout());
    }

    static List<String> namespaces() {
        // "ip netns list" prints "name (id: 3)" for namespaces with an id.
        return Exec.run("ip", "netns", "list").stdout().lines().map(l -> l.split(" ")[0]).filter(s -> !s.isEmpty()).toList();
    }

    static List<String> links() {
        // "ip -o link" prints "7: vlab12h1s0@if2: <...>"
        return Exec.run("ip", "-o", "link", "show").stdout().lines()
                .map(l -> l.split(": ", 3))
                .filter(parts -> parts.length >= 2)
                .map(parts -> parts[1].split("@")[0])
                .toList();
    }

    static List<String> nftTables() {
        return Exec.run("nft", "list", "tables").stdout().lines().map(String::strip).toList();
    }

    private static java.util.Optional<String> match(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        return m.matches() ? java.util.Optional.of(m.group(1)) : java.util.Optional.empty();
    }

    private static void disableIpv6(String ifname) {
        // No addresses in the root namespace: not even an automatic link-local one sending MLD and RS into the lab.
        Exec.run("sysctl", "-q", "-w", "net.ipv6.conf." + ifname + ".disable_ipv6=1");
    }

    // ---- JUnit -----------------------------------------------------------------------------------------------

    @Override
    public void beforeAll(ExtensionContext context) {
        perClass = true;
        open(context.getRequiredTestClass().getSimpleName());
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (!perClass) {
            open(context.getRequiredTestClass().getSimpleName() + "." + context.getRequiredTestMethod().getName());
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!perClass) {
            reportIfFailed(context);
            close();
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (perClass) {
            reportIfFailed(context);
            close();
        }
    }

    /** On failure, the tail of every process log goes to stderr: the work directory is about to be deleted. */
    private synchronized void reportIfFailed(ExtensionContext context) {
        if (context.getExecutionException().isEmpty() || lock == null) {
            return;
        }
        for (Host host : hosts.values()) {
            for (HostProcess process : host.processes()) {
                List<String> lines = process.log().lines().toList();
                System.err.println("---- " + label + " " + host.name() + ": " + String.join(" ", process.command())
                        + " (last 50 lines) ----");
                lines.subList(Math.max(0, lines.size() - 50), lines.size()).forEach(System.err::println);
            }
        }
    }

    @Override
    public String toString() {
        return "NetLab[" + label + (lock == null ? ", closed" : ", " + lock.name()) + "]";
    }
}
