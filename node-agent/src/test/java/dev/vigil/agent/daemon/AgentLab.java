package dev.vigil.agent.daemon;

import dev.vigil.lab.Capture;
import dev.vigil.lab.Host;
import dev.vigil.lab.HostProcess;
import dev.vigil.lab.NetLab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.awaitility.Awaitility.await;

/**
 * Test support for the daemon ITs: agents as real processes ({@code java -cp} like {@code bin/vigil-agent}) inside
 * NetLab hosts, keepalived.conf text, and reading adverts and announcements back from a capture.
 */
final class AgentLab {
    private static final AtomicInteger CONFIGS = new AtomicInteger();
    /**
     * Extra time allowed on top of a protocol bound for scheduling on the shared, loaded test machine (five builds
     * on two cores); the bounds themselves are read from the capture, never from this JVM's clock.
     */
    static final double SLACK_SECONDS = 0.25;

    private AgentLab() {
    }

    /** The agent's class path: the packaged jar and its libraries when built, else this JVM's class path. */
    static String classPath() {
        Path jar = Path.of("target", "node-agent.jar").toAbsolutePath();
        Path lib = Path.of("target", "lib").toAbsolutePath();
        if (Files.exists(jar) && Files.isDirectory(lib)) {
            return jar + ":" + lib + "/*";
        }
        return System.getProperty("java.class.path");
    }

    /** Starts {@code vigil-agent -n -l -f FILE} in {@code host} with the JVM flags of bin/vigil-agent. */
    static HostProcess startAgent(NetLab lab, Host host, String config) {
        return startAgent(host, writeConfig(lab, host.name() + "-vigil", config));
    }

    /**
     * Starts the agent on a file the test keeps (to rewrite it and reload). Its admin socket is in the lab's work
     * directory unless the file's {@code vigil { admin_socket }} says otherwise: the default /run/vigil/agent.sock
     * would outlive a killed agent and be shared by every agent of every test.
     */
    static HostProcess startAgent(Host host, Path file) {
        boolean ownSocket = readQuietly(file).contains("admin_socket");
        Path socket = file.resolveSibling(host.name() + "-" + CONFIGS.incrementAndGet() + ".sock");
        if (!ownSocket) {
            return host.start("java", "-Xms24m", "-Xmx48m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-XX:+ExitOnOutOfMemoryError", "-cp", classPath(), "dev.vigil.agent.AgentMain", "-n", "-l", "-D",
                    "--admin-socket", socket.toString(), "-f", file.toString());
        }
        return host.start("java", "-Xms24m", "-Xmx48m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-XX:+ExitOnOutOfMemoryError", "-cp", classPath(), "dev.vigil.agent.AgentMain", "-n", "-l", "-D",
                "-f", file.toString());
    }

    /** Starts keepalived 2.2.7 (VRRP only, foreground, console log) in {@code host}. */
    static HostProcess startKeepalived(NetLab lab, Host host, String config) {
        Path file = writeConfig(lab, host.name() + "-keepalived", "global_defs {\n  script_user root\n}\n" + config);
        Path dir = file.getParent();
        String tag = host.name() + "-" + CONFIGS.get();
        return host.start("keepalived", "-n", "-l", "-D", "-P", "-f", file.toString(),
                "-p", dir.resolve(tag + "-keepalived.pid").toString(),
                "-r", dir.resolve(tag + "-vrrp.pid").toString());
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path writeConfig(NetLab lab, String name, String text) {
        try {
            Path f = lab.workDir().resolve(name + "-" + CONFIGS.incrementAndGet() + ".conf");
            Files.writeString(f, text);
            return f;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One {@code vrrp_instance VI_n} block; {@code extra} lines go inside it. */
    static String instance(int vrid, int priority, int version, String advertInt, String extra, String... vips) {
        return """
                vrrp_instance VI_%d {
                  state BACKUP
                  interface eth0
                  virtual_router_id %d
                  priority %d
                  version %d
                  advert_int %s
                  %s
                  virtual_ipaddress {
                    %s
                  }
                }
                """.formatted(vrid, vrid, priority, version, advertInt, extra, String.join("\n    ", vips));
    }

    /** Whether {@code ip -o addr} in the host lists {@code address} (a VIP, without prefix). */
    static boolean holds(Host host, String address) {
        String out = host.exec("ip", "-o", "addr", "show").orThrow().stdout();
        return out.contains(" " + address + "/");
    }

    static void awaitHolds(Host host, String address, boolean expected, Duration timeout) {
        await().atMost(timeout).pollInterval(Duration.ofMillis(50))
                .until(() -> holds(host, address) == expected);
    }

    /** One advert seen on the wire. */
    record WireAdvert(double time, String source, int vrid, int priority) {
    }

    static List<WireAdvert> adverts(Capture capture, int vrid) {
        List<WireAdvert> out = new ArrayList<>();
        for (List<String> row : capture.rows("vrrp && vrrp.virt_rtr_id == " + vrid, "frame.time_epoch", "ip.src",
                "ipv6.src", "vrrp.virt_rtr_id", "vrrp.prio")) {
            String src = row.get(1).isEmpty() ? row.get(2) : row.get(1);
            out.add(new WireAdvert(Double.parseDouble(row.get(0)), src, Integer.parseInt(row.get(3)),
                    Integer.parseInt(row.get(4))));
        }
        return out;
    }

    /** Master_Down_Interval of RFC 5798 for a backup of {@code priority}: 3 x interval + skew. */
    static double masterDownSeconds(double interval, int priority) {
        return 3 * interval + skewSeconds(interval, priority);
    }

    static double skewSeconds(double interval, int priority) {
        return (256 - priority) * interval / 256;
    }

    /** Time of the capture's first frame matching {@code filter} at or after {@code from}; NaN if none. */
    static double firstTime(Capture capture, String filter, double from) {
        return frameTimes(capture, filter).stream().mapToDouble(Double::doubleValue).filter(t -> t >= from).min().orElse(Double.NaN);
    }

    static List<Double> frameTimes(Capture capture, String filter) {
        return capture.rows(filter, "frame.time_epoch").stream().map(r -> Double.parseDouble(r.get(0))).toList();
    }

    static double nowEpoch() {
        return System.currentTimeMillis() / 1000.0;
    }
}
