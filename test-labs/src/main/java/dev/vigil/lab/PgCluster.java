package dev.vigil.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;

/**
 * One throwaway PostgreSQL 15 cluster made by a {@link PgLab}: data directory, unix-socket directory and log
 * under the lab's work directory, owned by the postgres OS user; trust authentication; cheap settings (fsync off).
 * The postmaster runs as a child of {@code runuser} under the test JVM, so killing it never leaves a zombie
 * holding the pid in postmaster.pid.
 */
public final class PgCluster {

    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final String name;
    private final Path home;
    private final Optional<Host> host;
    private int port;
    private HostProcess server;

    PgCluster(String name, Path home, Optional<Host> host, int port) {
        this.name = name;
        this.home = home;
        this.host = host;
        this.port = port;
    }

    public String name() {
        return name;
    }

    public Path dataDir() {
        return home.resolve("data");
    }

    /** The directory holding the unix socket {@code .s.PGSQL.PORT}; reachable from any network namespace. */
    public Path socketDir() {
        return home.resolve("sock");
    }

    public Path logFile() {
        return home.resolve("postgres.log");
    }

    public int port() {
        return port;
    }

    /** The NetLab host it runs in, if any. */
    public Optional<Host> host() {
        return host;
    }

    /** The TCP address it listens on: 127.0.0.1, or the NetLab host's first address (it also listens on the host's 127.0.0.1). */
    public String address() {
        return host.map(Host::address).orElse("127.0.0.1");
    }

    /**
     * A TCP JDBC URL (user postgres, no password). For a cluster inside a NetLab host it only works from inside that
     * segment (an agent in a host); the test JVM uses {@link #connect()}.
     */
    public String jdbcUrl() {
        return jdbcUrl("postgres");
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + address() + ":" + port + "/" + database + "?user=postgres";
    }

    /** A JDBC URL over the unix socket: works from the test JVM wherever the cluster runs. */
    public String socketJdbcUrl(String database) {
        return "jdbc:postgresql://localhost:" + port + "/" + database + "?user=postgres&socketFactory="
                + UnixSocketFactory.class.getName() + "&socketFactoryArg=" + socketDir().resolve(".s.PGSQL." + port);
    }

    /** A connection to database postgres as user postgres, over the unix socket. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(socketJdbcUrl("postgres"), new Properties());
    }

    /** Runs SQL with psql over the unix socket; never throws for an SQL error (see {@link ExecResult#ok()}). */
    public ExecResult psql(String sql) {
        return Exec.run(Duration.ofSeconds(60), List.of(Requirements.PG_BIN.resolve("psql").toString(), "-X", "-q", "-At",
                "-v", "ON_ERROR_STOP=1", "-h", socketDir().toString(), "-p", Integer.toString(port), "-U", "postgres",
                "-d", "postgres", "-c", sql));
    }

    /** Runs SQL with psql and returns its output (unaligned, tuples only), failing on any error. */
    public String query(String sql) {
        return psql(sql).orThrow().stdout().strip();
    }

    public boolean isRunning() {
        return server != null && server.isAlive();
    }

    public boolean isInRecovery() {
        return "t".equals(query("select pg_is_in_recovery()"));
    }

    /** Starts the postmaster and returns once it accepts connections. */
    public synchronized PgCluster start() {
        if (isRunning()) {
            return this;
        }
        for (int attempt = 1; ; attempt++) {
            writeNodeConf();
            List<String> argv = new ArrayList<>();
            host.ifPresent(h -> argv.addAll(List.of("ip", "netns", "exec", h.namespace())));
            argv.addAll(List.of("runuser", "-u", "postgres", "--", Requirements.PG_BIN.resolve("postgres").toString(),
                    "-D", dataDir().toString()));
            server = HostProcess.start(argv, logFile());
            if (awaitReady()) {
                return this;
            }
            String log = server.log();
            server.kill();
            // Another process took our port between choosing and binding: pick another (root namespace only).
            if (host.isEmpty() && attempt < 3 && log.contains("could not bind")) {
                port = freePort();
                continue;
            }
            throw new IllegalStateException("PostgreSQL cluster " + name + " did not become ready; log " + logFile()
                    + ":\n" + tail(log, 40));
        }
    }

    private boolean awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        Path pidFile = dataDir().resolve("postmaster.pid");
        while (System.nanoTime() < deadline && server.isAlive()) {
            try {
                if (Files.exists(pidFile)) {
                    List<String> lines = Files.readAllLines(pidFile);
                    // Line 1 is the postmaster's pid (a crashed predecessor leaves a stale file saying "ready"),
                    // line 8 its status; a standby reports "standby" once it accepts connections.
                    if (lines.size() >= 8 && isOurs(Long.parseLong(lines.get(0).strip()))
                            && (lines.get(7).strip().equals("ready") || lines.get(7).strip().equals("standby"))) {
                        return true;
                    }
                }
            } catch (IOException | NumberFormatException racedWithWriter) {
                // read again
            }
            HostProcess.sleep(25);
        }
        return false;
    }

    /** Whether {@code pid} is the postmaster we started (a child of runuser, itself maybe under ip netns exec). */
    private boolean isOurs(long pid) {
        return server.pid() == pid || ProcessHandle.of(server.pid()).map(p -> p.descendants().anyMatch(d -> d.pid() == pid)).orElse(false);
    }

    /** Fast shutdown (SIGINT: roll back open transactions, checkpoint, exit). */
    public synchronized void stop() {
        if (!isRunning()) {
            return;
        }
        postmasterPid().ifPresent(pid -> Exec.run("kill", "-INT", Long.toString(pid)));
        if (server.waitFor(Duration.ofSeconds(30)).isEmpty()) {
            crash();
        }
    }

    /**
     * Immediate shutdown (SIGQUIT: no checkpoint, crash recovery on next start), for throwing a cluster away:
     * as quick as {@link #crash()}, but the postmaster reaps its children, so no zombie is left for init.
     */
    synchronized void discard() {
        if (!isRunning()) {
            return;
        }
        postmasterPid().ifPresent(pid -> Exec.run("kill", "-QUIT", Long.toString(pid)));
        if (server.waitFor(Duration.ofSeconds(10)).isEmpty()) {
            crash();
        }
    }

    /** kill -9 of the postmaster and every child it has: committed data must survive, open transactions do not. */
    public synchronized void crash() {
        if (!isRunning()) {
            return;
        }
        Optional<Long> pid = postmasterPid();
        List<ProcessHandle> children = pid.flatMap(ProcessHandle::of).map(p -> p.descendants().toList()).orElse(List.of());
        pid.flatMap(ProcessHandle::of).ifPresent(ProcessHandle::destroyForcibly);
        children.forEach(ProcessHandle::destroyForcibly);
        server.waitFor(Duration.ofSeconds(10));
        server.kill();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (children.stream().anyMatch(PgCluster::running) && System.nanoTime() < deadline) {
            HostProcess.sleep(20);
        }
    }

    /** Alive and not a zombie: killed backends are reparented to init, which may reap them late (or never, in some containers). */
    static boolean running(ProcessHandle process) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException | RuntimeException gone) {
            return false;
        }
    }

    /** Stops (fast) if running, then starts. */
    public PgCluster restart() {
        stop();
        return start();
    }

    /** Ends recovery: a standby becomes a primary that takes writes. Returns once it does. */
    public void promote() {
        query("select pg_promote(true, 60)");
        if (isInRecovery()) {
            throw new IllegalStateException("cluster " + name + " is still in recovery after promotion");
        }
    }

    /** Waits until this standby has replayed everything the primary has written so far. */
    public void awaitReplayOf(PgCluster primary) {
        String lsn = primary.query("select pg_current_wal_insert_lsn()");
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"t".equals(query("select coalesce(pg_last_wal_replay_lsn() >= '" + lsn + "'::pg_lsn, false)"))) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("standby " + name + " did not replay up to " + lsn + " of " + primary.name()
                        + " within 30 s; replayed " + query("select pg_last_wal_replay_lsn()"));
            }
            HostProcess.sleep(20);
        }
    }

    Optional<Long> postmasterPid() {
        try {
            Path pidFile = dataDir().resolve("postmaster.pid");
            return Files.exists(pidFile) ? Optional.of(Long.valueOf(Files.readAllLines(pidFile).get(0).strip())) : Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** Per-node settings, rewritten at every start: a standby copied from its primary gets its own. */
    private void writeNodeConf() {
        // Inside a host every address is the host's own (the namespace isolates it), and '*' also serves the
        // VIPs an agent adds later, as listen_addresses = '*' does on a real database host.
        String listen = host.map(h -> "*").orElse("127.0.0.1");
        String conf = "port = " + port + "\n"
                + "listen_addresses = '" + listen + "'\n"
                + "unix_socket_directories = '" + socketDir() + "'\n"
                + "cluster_name = '" + name + "'\n";
        try {
            Files.writeString(dataDir().resolve("vigil-lab-node.conf"), conf);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write settings of cluster " + name, e);
        }
        Exec.check("chown", "postgres:postgres", dataDir().resolve("vigil-lab-node.conf").toString());
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free TCP port on 127.0.0.1", e);
        }
    }

    private static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }

    @Override
    public String toString() {
        return "PgCluster[" + name + " " + address() + ":" + port + "]";
    }
}
