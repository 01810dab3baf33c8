package dev.vigil.demo;

import dev.vigil.lab.Capture;
import dev.vigil.lab.ExecResult;
import dev.vigil.lab.Host;
import dev.vigil.lab.HostProcess;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.PgCluster;
import dev.vigil.lab.PgLab;
import dev.vigil.lab.Requirements;
import dev.vigil.lab.Segment;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

/**
 * {@code bin/vigil demo}: three database hosts in network namespaces, a PostgreSQL primary and two
 * streaming standbys, a Vigil agent on each holding a write VIP and a read VIP, a client writing through
 * the write VIP, and the coordinator keeping the record. Then the failures an operator fears, one by one,
 * narrated with what the wire and the agents show.
 *
 * <p>It drives the real programs (bin/vigil-agent, bin/vigil-coordinator) as processes, and grows with
 * them: a step whose program cannot do its part yet says so and the story goes on without it.
 */
public final class DemoMain {

    private static final Duration AGENT_UP = Duration.ofSeconds(20);
    private static final String WRITE_VRID = "51";
    private static final String READ_VRID = "52";

    private final Path top;
    private final boolean keep;
    private final Narrator say = new Narrator(10);
    private final Map<String, HostProcess> agents = new LinkedHashMap<>();
    private final List<String> story = new ArrayList<>();
    private Process coordinator;
    private String coordinatorUrl = "";
    private Path readTokenFile;
    private final java.time.Instant began = java.time.Instant.now();
    private final Consumer<Finale> observer;
    private final Map<String, String> tokens = new LinkedHashMap<>();
    private String killedHost = "";
    private String newHolder = "";
    private OptionalDouble wireGapMs = OptionalDouble.empty();
    private Path workDir;

    private DemoMain(Path top, boolean keep, Consumer<Finale> observer) {
        this.top = top;
        this.keep = keep;
        this.observer = observer;
    }

    /**
     * What the story left behind, handed to an observer just before everything is removed: the demo's own test
     * reads the audit trail through it. {@code secrets} are the tokens the story generated (none may reach a log);
     * {@code logs} every program's output by name; the gap is the write VRID's no-master time on the wire.
     */
    public record Finale(int status, String coordinatorUrl, Path readTokenFile, String cluster, int writeVrid,
                         String killedHost, String newHolder, OptionalDouble wireGapMs, List<String> secrets,
                         Map<String, String> logs) {
    }

    public static void main(String[] args) throws Exception {
        boolean keep = List.of(args).contains("--keep");
        Path top = Path.of(System.getProperty("vigil.home", ".")).toAbsolutePath().normalize();
        if (!"0".equals(new String(new ProcessBuilder("id", "-u").start().getInputStream().readAllBytes()).strip())) {
            System.err.println("vigil demo: needs root (network namespaces, raw sockets, PostgreSQL clusters): run it with sudo");
            System.exit(1);
        }
        try {
            Requirements.requireNamespaces();
            Requirements.requirePostgres();
        } catch (RuntimeException | AssertionError e) {
            System.err.println("vigil demo: " + e.getMessage());
            System.exit(1);
        }
        int status = play(top, keep, finale -> { });
        System.exit(status);
    }

    /**
     * The whole story, as {@code bin/vigil demo} tells it, with the programs under {@code top} (bin/ and the
     * modules' target folders); {@code observer} sees the {@link Finale} before the cleanup. Needs root,
     * namespaces and PostgreSQL (the caller checks).
     */
    public static int play(Path top, boolean keep, Consumer<Finale> observer) throws Exception {
        return new DemoMain(top, keep, observer).run();
    }

    private int run() throws Exception {
        try (NetLab lab = NetLab.create("demo"); PgLab pg = PgLab.create()) {
            int status = 1;
            try {
                status = story(lab, pg);
                return status;
            } finally {
                observer.accept(finale(status));
                agents.values().forEach(a -> a.stop(Duration.ofSeconds(2)));
                if (coordinator != null) {
                    coordinator.destroy();
                    coordinator.waitFor();
                }
            }
        }
    }

    private Finale finale(int status) {
        Map<String, String> logs = new LinkedHashMap<>();
        agents.forEach((name, agent) -> logs.put("agent " + name, agent.log()));
        if (workDir != null) {
            try {
                Path log = workDir.resolve("coordinator.log");
                logs.put("coordinator", Files.exists(log) ? Files.readString(log) : "");
            } catch (IOException e) {
                logs.put("coordinator", "unreadable: " + e.getMessage());
            }
        }
        List<String> secrets = new ArrayList<>(tokens.values());
        if (readTokenFile != null) {
            try {
                secrets.add(Files.readString(readTokenFile).strip());
            } catch (IOException e) {
                // no read token was written: nothing more to hide
            }
        }
        return new Finale(status, coordinatorUrl, readTokenFile == null ? Path.of("/nonexistent") : readTokenFile,
                "pg-demo", Integer.parseInt(WRITE_VRID), killedHost, newHolder, wireGapMs, List.copyOf(secrets),
                Map.copyOf(logs));
    }

    private int story(NetLab lab, PgLab pg) throws Exception {
        Path work = lab.workDir();
        workDir = work;

        say.step("Network: a VRRP segment (192.0.2.0/24) for three database hosts and a client, "
                + "and a management segment (198.51.100.0/24) to the coordinator");
        Segment vrrp = lab.segment("vrrp");
        Segment mgmt = lab.segment("mgmt", true);
        Host db1 = lab.host("db1", vrrp, mgmt);
        Host db2 = lab.host("db2", vrrp, mgmt);
        Host db3 = lab.host("db3", vrrp, mgmt);
        Host client = lab.host("client", vrrp);
        client.sysctl("net.ipv4.conf.all.arp_accept", "1");
        String writeVip = vrrp.ip4(100);
        String readVip = vrrp.ip4(101);
        say.detail("db1 " + db1.address() + ", db2 " + db2.address() + ", db3 " + db3.address()
                + ", client " + client.address() + "; write VIP " + writeVip + ", read VIP " + readVip);

        say.step("Coordinator on the embedded store, listening on the management segment");
        coordinatorUrl = "http://" + mgmt.ip4(1) + ":7740";
        for (Host h : List.of(db1, db2, db3)) {
            tokens.put(h.name(), randomToken());
        }
        boolean coordinatorUp = startCoordinator(work, mgmt.ip4(1) + ":7740", tokens);
        say.detail(coordinatorUp ? "coordinator up at " + coordinatorUrl + ", store under " + work.resolve("store")
                : "the coordinator did not start (see " + work.resolve("coordinator.log") + "); the story goes on without the audit trail");

        say.step("PostgreSQL: the primary on db1, streaming standbys on db2 and db3");
        PgCluster pg1 = pg.cluster("db1", db1);
        PgCluster pg2 = pg.standbyOf("db2", pg1, db2);
        PgCluster pg3 = pg.standbyOf("db3", pg1, db3);
        pg1.query("create table orders(id bigserial primary key, note text, at timestamptz default now())");
        pg2.awaitReplayOf(pg1);
        pg3.awaitReplayOf(pg1);
        say.detail("db1 primary on :5432; db2 and db3 in recovery, streaming from db1");

        say.step("Agents: vigil-agent on every host, from an ordinary keepalived.conf (write VIP prefers db1, read VIP prefers db3)");
        Map<Host, Path> configs = new LinkedHashMap<>();
        int[] writePrio = {150, 100, 50};
        int[] readPrio = {50, 100, 150};
        List<Host> dbs = List.of(db1, db2, db3);
        for (int i = 0; i < dbs.size(); i++) {
            Host h = dbs.get(i);
            configs.put(h, writeConfig(work, h, writePrio[i], readPrio[i], writeVip, readVip, coordinatorUrl, tokens.get(h.name())));
        }
        Capture wire = lab.capture(vrrp);
        // db1 first, so that it is master before the others listen: with nopreempt, the first master stays.
        if (!startAgent(db1, configs.get(db1), "Entering MASTER STATE")) {
            return unfinished(wire);
        }
        for (Host h : List.of(db2, db3)) {
            if (!startAgent(h, configs.get(h), "Entering BACKUP STATE")) {
                return unfinished(wire);
            }
        }
        awaitHolder(readVip, List.of(db3), Duration.ofSeconds(10));
        say.detail("write VIP on " + holder(writeVip, dbs) + ", read VIP on " + holder(readVip, dbs));

        say.step("The client writes through the write VIP");
        say.detail(write(client, writeVip, "first order"));

        say.step("Disaster: db1's host dies (every process killed, its link cut)");
        long killedAt = System.nanoTime();
        killedHost = db1.name();
        lab.kill(db1);
        Optional<Host> newHolder = awaitHolder(writeVip, List.of(db2, db3), Duration.ofSeconds(15));
        wire.stop();
        double seen = (System.nanoTime() - killedAt) / 1e9;
        if (newHolder.isEmpty()) {
            say.detail("no agent took the write VIP within 15 s");
            return unfinished(wire);
        }
        Host h2 = newHolder.get();
        this.newHolder = h2.name();
        say.detail("the write VIP moved to " + h2.name() + " (" + String.format("%.2f", seen) + " s after the kill, as seen by polling)");
        gapOnTheWire(wire, db1.address(), h2.address()).ifPresent(say::detail);
        say.detail("a write now: " + write(client, writeVip, "during failover"));
        say.detail("the VIP follows VRRP, not yet PostgreSQL: db2 is still a standby, so writes fail until someone promotes it");

        say.step("The operator promotes " + h2.name() + "'s standby (Vigil never promotes)");
        PgCluster promoted = h2 == db2 ? pg2 : pg3;
        promoted.promote();
        say.detail(write(client, writeVip, "after promotion"));

        say.step("db1 comes back: its link is restored and its agent restarted (its PostgreSQL stays down until it is rebuilt)");
        lab.restoreLink(db1);
        boolean vipLeft = holds(db1, writeVip);
        say.detail(vipLeft ? "the killed agent left its VIP on db1: the restarted agent must remove it first" : "no VIP left on db1");
        startAgent(db1, configs.get(db1), "Entering BACKUP STATE");
        say.detail("db1 holds the write VIP: " + holds(db1, writeVip) + "; it stays with " + holder(writeVip, dbs) + " (nopreempt)");

        say.step("Split brain: the link between db2 and db3 is cut, then healed");
        Host other = h2 == db2 ? db3 : db2;
        Capture splitWire = lab.capture(vrrp);
        lab.partition(h2, other);
        boolean both = awaitCondition(() -> holds(h2, writeVip) && holds(other, writeVip), Duration.ofSeconds(10));
        say.detail(both ? "both " + h2.name() + " and " + other.name() + " hold the write VIP: two masters for VRID " + WRITE_VRID
                : "no second master appeared (the lower priority stayed backup)");
        lab.heal(h2, other);
        boolean one = awaitCondition(() -> holds(h2, writeVip) ^ holds(other, writeVip), Duration.ofSeconds(10));
        splitWire.stop();
        say.detail(one ? "after healing only " + holder(writeVip, dbs) + " holds it" : "still two holders 10 s after healing");
        say.detail(write(client, writeVip, "after the split brain"));

        tellStory();
        if (keep) {
            say.detail("keeping everything up (work directory " + work + "); Ctrl-C to stop and clean up");
            new CountDownLatch(1).await();
        }
        return 0;
    }

    // ------------------------------------------------------------------ agents

    private Path writeConfig(Path work, Host h, int writePrio, int readPrio, String writeVip, String readVip,
                             String coordinatorUrl, String token) throws IOException {
        Path dir = work.resolve(h.name());
        Files.createDirectories(dir.resolve("state"));
        Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, token + "\n");
        String conf = """
                ! keepalived.conf of %1$s, as a keepalived user would write it
                global_defs {
                    router_id %1$s
                }
                vigil {
                    agent_id %1$s
                    cluster pg-demo
                    state_dir %2$s
                    coordinator %3$s
                    token_file %4$s
                    admin_socket %11$s
                }
                vrrp_instance VI_WRITE {
                    state BACKUP
                    interface eth0
                    virtual_router_id %5$s
                    priority %6$d
                    advert_int 0.5
                    version 3
                    nopreempt
                    garp_lower_prio_repeat 5
                    virtual_ipaddress {
                        %7$s/24
                    }
                }
                vrrp_instance VI_READ {
                    state BACKUP
                    interface eth0
                    virtual_router_id %8$s
                    priority %9$d
                    advert_int 0.5
                    version 3
                    virtual_ipaddress {
                        %10$s/24
                    }
                }
                """.formatted(h.name(), dir.resolve("state"), coordinatorUrl, tokenFile, WRITE_VRID, writePrio,
                writeVip, READ_VRID, readPrio, readVip, dir.resolve("agent.sock"));
        Path file = dir.resolve("keepalived.conf");
        Files.writeString(file, conf);
        return file;
    }

    private boolean startAgent(Host h, Path config, String awaited) {
        HostProcess agent = h.start(top.resolve("bin/vigil-agent").toString(), "-n", "-l", "-f", config.toString());
        agents.put(h.name(), agent);
        try {
            agent.awaitLog(awaited, AGENT_UP);
            say.detail(h.name() + ": " + lastLine(agent, awaited));
            return true;
        } catch (AssertionError | RuntimeException e) {
            String log = agent.log().strip();
            say.detail(h.name() + ": the agent did not reach '" + awaited + "'" + (agent.isAlive() ? "" : " and exited")
                    + (log.isEmpty() ? "" : ": " + log.lines().reduce((a, b) -> b).orElse("")));
            return false;
        }
    }

    private static String lastLine(HostProcess agent, String containing) {
        return agent.log().lines().filter(l -> l.contains(containing)).reduce((a, b) -> b).orElse(containing).strip();
    }

    private int unfinished(Capture wire) {
        if (wire.isRunning()) {
            wire.stop();
        }
        say.detail("the story stops here: this build's agent cannot play its part yet (see the module READMEs)");
        tellStory();
        return 0;
    }

    // ------------------------------------------------------------------ coordinator

    private boolean startCoordinator(Path work, String listen, Map<String, String> tokens) throws Exception {
        Path jar = top.resolve("coordinator/target/coordinator.jar");
        if (!Files.exists(jar)) {
            return false;
        }
        StringBuilder agentsJson = new StringBuilder();
        for (Map.Entry<String, String> t : tokens.entrySet()) {
            if (agentsJson.length() > 0) {
                agentsJson.append(',');
            }
            agentsJson.append('"').append(t.getKey()).append("\":{\"tokenSha256\":\"").append(sha256(t.getValue())).append("\"}");
        }
        String readToken = randomToken();
        readTokenFile = work.resolve("read.token");
        Files.writeString(readTokenFile, readToken + "\n");
        Path config = work.resolve("coordinator.json");
        Files.writeString(config, "{\"agents\":{" + agentsJson + "},\"operators\":{\"demo\":{\"tokenSha256\":\""
                + sha256(readToken) + "\"}}}\n");
        coordinator = new ProcessBuilder(top.resolve("bin/vigil-coordinator").toString(),
                "--config", config.toString(), "--data-dir", work.resolve("store").toString(), "--listen", listen)
                .redirectErrorStream(true).redirectOutput(work.resolve("coordinator.log").toFile()).start();
        String[] hostPort = listen.split(":");
        return awaitCondition(() -> {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 200);
                return true;
            } catch (IOException e) {
                return false;
            }
        }, Duration.ofSeconds(30)) && coordinator.isAlive();
    }

    private static String randomToken() {
        byte[] b = new byte[24];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    private static String sha256(String s) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    }

    // ------------------------------------------------------------------ observing

    private static boolean holds(Host h, String vip) {
        ExecResult r = h.exec("ip", "-o", "-4", "addr", "show", "dev", h.ifname());
        return r.ok() && r.stdout().contains(" " + vip + "/");
    }

    private static String holder(String vip, List<Host> hosts) {
        List<String> names = hosts.stream().filter(h -> holds(h, vip)).map(Host::name).toList();
        return names.isEmpty() ? "nobody" : String.join(" and ", names);
    }

    private static Optional<Host> awaitHolder(String vip, List<Host> candidates, Duration timeout) {
        awaitCondition(() -> candidates.stream().anyMatch(h -> holds(h, vip)), timeout);
        return candidates.stream().filter(h -> holds(h, vip)).findFirst();
    }

    private static boolean awaitCondition(java.util.function.BooleanSupplier condition, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            sleep(50);
        }
        return condition.getAsBoolean();
    }

    /** The gap with no master on the wire: the old master's last advert to the new master's first. */
    private Optional<String> gapOnTheWire(Capture wire, String oldMaster, String newMaster) {
        List<List<String>> rows = wire.rows("vrrp.virt_rtr_id == " + WRITE_VRID, "frame.time_epoch", "ip.src", "vrrp.prio");
        double lastOld = -1;
        double firstNew = -1;
        for (List<String> row : rows) {
            double t = Double.parseDouble(row.get(0));
            if (row.get(1).equals(oldMaster)) {
                lastOld = t;
            } else if (row.get(1).equals(newMaster) && lastOld > 0 && firstNew < 0) {
                firstNew = t;
            }
        }
        if (lastOld < 0 || firstNew < 0) {
            return Optional.empty();
        }
        wireGapMs = OptionalDouble.of((firstNew - lastOld) * 1000);
        String line = String.format("on the wire: db1's last advert to %s's first: %.0f ms with no master "
                + "(RFC 5798 bound for priority 100 at 0.5 s: 3 x 500 + (256 - 100) x 500 / 256 = 1805 ms)",
                newMaster, (firstNew - lastOld) * 1000);
        story.add(line);
        return Optional.of(line);
    }

    private static String write(Host client, String vip, String note) {
        ExecResult r;
        try {
            r = client.exec(Duration.ofSeconds(10), Requirements.PG_BIN.resolve("psql").toString(), "-X", "-At",
                    "-h", vip, "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c",
                    "insert into orders(note) values ('" + note + "') returning id, inet_server_addr()");
        } catch (RuntimeException e) {
            // a client whose ARP cache still names a host that gave the VIP up waits on it: part of the story
            return "write through " + vip + " did not answer within 10 s (the client still sends to the host that held the VIP)";
        }
        if (r.ok()) {
            String[] f = r.stdout().strip().lines().findFirst().orElse("").split("\\|");
            return "order " + f[0] + " written through " + vip + " (served by " + f[f.length - 1] + ")";
        }
        String err = r.stderr().strip();
        return "write through " + vip + " failed: " + err.lines().reduce((a, b) -> b).orElse(err);
    }

    /** The story from the audit trail (what the agents reported), or from their logs without a coordinator. */
    private void tellStory() {
        say.step("What happened, as the audit trail tells it");
        story.forEach(say::detail);
        if (coordinator == null || !coordinator.isAlive()) {
            say.detail("no coordinator: the agents' own log lines instead");
            for (Map.Entry<String, HostProcess> e : agents.entrySet()) {
                e.getValue().log().lines().filter(l -> l.contains("Entering"))
                        .forEach(l -> say.detail(e.getKey() + ": " + l.strip()));
            }
            return;
        }
        sleep(3000); // the outboxes ship within moments; give the last facts time to arrive
        String to = java.time.Instant.now().toString();
        for (List<String> args : List.of(
                List.of("incidents", "--cluster", "pg-demo"),
                List.of("replay", "--from", began.toString(), "--to", to, "--cluster", "pg-demo"))) {
            say.detail("$ bin/vigilctl " + String.join(" ", args));
            vigilctl(args).lines().forEach(l -> say.detail("  " + l));
        }
        say.detail("review page: " + coordinatorUrl + "/review/ (read token in " + readTokenFile + ")");
    }

    private String vigilctl(List<String> args) {
        List<String> command = new ArrayList<>(List.of(top.resolve("bin/vigilctl").toString(),
                "--url", coordinatorUrl, "--token-file", readTokenFile.toString()));
        command.addAll(args);
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.waitFor();
            return out;
        } catch (IOException e) {
            return "vigilctl failed: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** One progress line per step, details indented under it. */
    private static final class Narrator {
        private final int steps;
        private int step;

        Narrator(int steps) {
            this.steps = steps;
        }

        void step(String text) {
            step++;
            System.out.printf("%n[%d/%d] %s%n", step, Math.max(step, steps), text);
        }

        void detail(String text) {
            System.out.println("      " + text);
        }
    }
}
