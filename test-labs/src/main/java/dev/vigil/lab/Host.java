package dev.vigil.lab;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A host of a {@link NetLab}: a network namespace with lo up and one interface per segment it joined
 * ({@code eth0} on its first segment, {@code eth1} on its second...). Host number {@code n} (1-based, in creation
 * order) has address {@code .(10+n)} on every segment: the first host is 192.0.2.11 and 2001:db8:1::11.
 */
public final class Host {

    /** One leg of a host: the interface inside the namespace and its veth peer on the bridge. */
    record Link(Segment segment, String ifname, String bridgePort) {
    }

    private final NetLab lab;
    private final String name;
    private final int number;
    private final String namespace;
    private final List<Link> links;
    private final Map<String, String> macs = new ConcurrentHashMap<>();
    private final List<HostProcess> processes = new ArrayList<>();
    private final AtomicInteger processCount = new AtomicInteger();

    Host(NetLab lab, String name, int number, String namespace, List<Link> links) {
        this.lab = lab;
        this.name = name;
        this.number = number;
        this.namespace = namespace;
        this.links = List.copyOf(links);
    }

    public String name() {
        return name;
    }

    /** 1-based creation order; the host part of every address of this host is {@code 10 + number}. */
    public int number() {
        return number;
    }

    /** The network namespace, for {@code ip netns exec NAMESPACE ...} or {@code ip -n NAMESPACE ...}. */
    public String namespace() {
        return namespace;
    }

    public List<Segment> segments() {
        return links.stream().map(Link::segment).toList();
    }

    /** The interface on the host's first segment ("eth0"). */
    public String ifname() {
        return links.get(0).ifname();
    }

    public String ifname(Segment segment) {
        return link(segment).ifname();
    }

    /** IPv4 address on the first segment, e.g. "192.0.2.11". */
    public String address() {
        return address(links.get(0).segment());
    }

    public String address(Segment segment) {
        return link(segment).segment().ip4(10 + number);
    }

    /** IPv6 address on the first segment, e.g. "2001:db8:1::11". */
    public String address6() {
        return address6(links.get(0).segment());
    }

    public String address6(Segment segment) {
        return link(segment).segment().ip6(10 + number);
    }

    /** The MAC address of the interface on the first segment, lower case with colons. */
    public String mac() {
        return mac(links.get(0).segment());
    }

    public String mac(Segment segment) {
        String ifname = link(segment).ifname();
        return macs.computeIfAbsent(ifname, i -> exec("cat", "/sys/class/net/" + i + "/address").orThrow().stdout().strip());
    }

    /** Runs a command inside the host and waits for it (30 s at most). Never throws for a non-zero exit. */
    public ExecResult exec(String... argv) {
        return exec(Exec.DEFAULT_TIMEOUT, argv);
    }

    public ExecResult exec(Duration timeout, String... argv) {
        return Exec.run(timeout, inNamespace(List.of(argv)));
    }

    /**
     * Starts a long-lived process inside the host; its stdout and stderr go to a log file in the lab's work
     * directory. {@link NetLab#close()} and {@link NetLab#kill(Host)} end it, and whatever it forked.
     */
    public HostProcess start(String... argv) {
        if (argv.length == 0) {
            throw new IllegalArgumentException("start needs a command");
        }
        Path log = lab.workDir().resolve(name + "-" + processCount.incrementAndGet() + "-"
                + Path.of(argv[0]).getFileName() + ".log");
        HostProcess process = HostProcess.start(inNamespace(List.of(argv)), log);
        synchronized (processes) {
            processes.add(process);
        }
        return process;
    }

    /** Sets a sysctl inside the host, e.g. {@code sysctl("net.ipv4.conf.all.arp_accept", "1")}. */
    public void sysctl(String key, String value) {
        exec("sysctl", "-q", "-w", key + "=" + value).orThrow();
    }

    public String sysctl(String key) {
        return exec("sysctl", "-n", key).orThrow().stdout().strip();
    }

    /** Every process living in the namespace right now (whoever started it). */
    public List<Long> pids() {
        ExecResult result = Exec.run("ip", "netns", "pids", namespace);
        return result.stdout().lines().map(String::strip).filter(s -> !s.isEmpty()).map(Long::valueOf).toList();
    }

    List<Link> links() {
        return links;
    }

    List<HostProcess> processes() {
        synchronized (processes) {
            return List.copyOf(processes);
        }
    }

    private Link link(Segment segment) {
        return links.stream().filter(l -> l.segment().equals(segment)).findFirst().orElseThrow(
                () -> new IllegalArgumentException("host " + name + " is not on segment " + segment.name()));
    }

    private List<String> inNamespace(List<String> argv) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
        full.addAll(argv);
        return full;
    }

    @Override
    public String toString() {
        return "Host[" + name + " " + namespace + " " + address() + "]";
    }
}
