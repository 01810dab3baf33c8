package dev.vigil.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Throwaway PostgreSQL 15 clusters: primaries, streaming standbys, promotion, crash and restart, in the root
 * namespace (TCP on 127.0.0.1) or inside a {@link NetLab} host (TCP on the host's address).
 * <pre>{@code
 * @RegisterExtension final PgLab pg = PgLab.extension();
 *
 * PgCluster primary = pg.cluster("primary");              // initdb + start, free port on 127.0.0.1
 * PgCluster standby = pg.standbyOf("standby", primary);   // pg_basebackup -R, streaming, started
 * primary.query("create table t(x int)");
 * standby.awaitReplayOf(primary);
 * try (Connection c = standby.connect()) { ... }
 * }</pre>
 * Declare a NetLab before a PgLab in the same class: JUnit closes extensions in reverse order, so the clusters stop
 * before their namespaces go.
 *
 * <p>Each lab works in {@code /tmp/vigil-labs/vpXXXX/} (name locked in /run/vigil-labs like NetLab's); opening a
 * lab kills the postmasters of killed earlier runs and deletes their directories.
 */
public final class PgLab implements AutoCloseable, BeforeAllCallback, AfterAllCallback, BeforeEachCallback,
        AfterEachCallback {

    static final String KIND = "vp";
    private static final Pattern CLUSTER_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");
    /**
     * Shared settings, cheap for tests (fsync off: an OS crash would corrupt, a postgres crash does not; commits stay
     * synchronous so a kill -9 keeps every committed row). Node settings (port, addresses, socket) live in vigil-lab-node.conf. */
    private static final String SETTINGS = """

            # vigil test lab
            include_if_exists = 'vigil-lab-node.conf'
            fsync = off
            full_page_writes = off
            shared_buffers = 16MB
            max_connections = 40
            wal_level = replica
            max_wal_senders = 8
            max_replication_slots = 8
            wal_keep_size = 128MB
            hot_standby = on
            wal_receiver_status_interval = 1s
            checkpoint_timeout = 30min
            log_line_prefix = '%m [%p] '
            """;
    private static final String HBA = """
            local all all trust
            local replication all trust
            host all all 0.0.0.0/0 trust
            host all all ::/0 trust
            host replication all 0.0.0.0/0 trust
            host replication all ::/0 trust
            """;

    private static Path template;

    private LabLock lock;
    private boolean perClass;
    private final Map<String, PgCluster> clusters = new LinkedHashMap<>();

    private PgLab() {
    }

    public static PgLab extension() {
        return new PgLab();
    }

    public static PgLab create() {
        PgLab lab = new PgLab();
        lab.open();
        return lab;
    }

    synchronized void open() {
        if (lock != null) {
            throw new IllegalStateException("PgLab " + lock.name() + " is already open");
        }
        Requirements.requirePostgres();
        sweepLeftovers();
        lock = LabLock.acquire(KIND, "PgLab", this);
    }

    /** A new primary in the root namespace, started. */
    public PgCluster cluster(String name) {
        return cluster(name, Optional.empty());
    }

    /** A new primary inside a NetLab host, started; it listens on the host's address and its 127.0.0.1. */
    public PgCluster cluster(String name, Host host) {
        return cluster(name, Optional.of(host));
    }

    private synchronized PgCluster cluster(String name, Optional<Host> host) {
        PgCluster cluster = register(name, host);
        // cp -a keeps the postgres ownership and modes; much cheaper than another initdb.
        Exec.check("cp", "-a", template().toString(), cluster.dataDir().toString());
        return cluster.start();
    }

    /**
     * One initdb per JVM, already configured; every new primary starts as a copy of it. Its directory is a lab
     * of its own, locked for the JVM's lifetime: the shutdown hook removes it, or the next sweep after a kill.
     * (So primaries of one JVM share a database system identifier; standbys do anyway.)
     */
    private static synchronized Path template() {
        if (template == null) {
            LabLock lock = LabLock.acquire(KIND);
            Path home = lock.workDir().resolve("template");
            Path data = home.resolve("data");
            try {
                Files.createDirectories(home);
                Exec.check("chmod", "755", lock.workDir().toString());
                Exec.check("chown", "postgres:postgres", home.toString());
                runAsPostgres(Optional.empty(), Requirements.PG_BIN.resolve("initdb").toString(), "-D", data.toString(),
                        "-A", "trust", "-U", "postgres", "--no-sync", "--no-instructions", "-E", "UTF8", "--locale=C");
                Files.writeString(data.resolve("postgresql.conf"), SETTINGS, java.nio.file.StandardOpenOption.APPEND);
                Files.writeString(data.resolve("pg_hba.conf"), HBA);
            } catch (IOException | RuntimeException e) {
                lock.close();
                throw new IllegalStateException("cannot create the PostgreSQL template cluster in " + home + ": " + e.getMessage(), e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(lock::close, "pglab-template-shutdown"));
            template = data;
        }
        return template;
    }

    /** A streaming standby of {@code primary} (pg_basebackup -R with a replication slot), in the root namespace, started. */
    public PgCluster standbyOf(String name, PgCluster primary) {
        return standbyOf(name, primary, Optional.empty());
    }

    /**
     * A streaming standby inside a NetLab host. When the primary also runs in a NetLab host, the standby streams
     * over the segment (TCP to the primary's address); otherwise through the primary's unix socket.
     */
    public PgCluster standbyOf(String name, PgCluster primary, Host host) {
        return standbyOf(name, primary, Optional.of(host));
    }

    private synchronized PgCluster standbyOf(String name, PgCluster primary, Optional<Host> host) {
        PgCluster standby = register(name, host);
        String source = host.isPresent() && primary.host().isPresent() ? primary.address() : primary.socketDir().toString();
        String slot = name.replace('-', '_');
        runAsPostgres(host, Requirements.PG_BIN.resolve("pg_basebackup").toString(), "-D", standby.dataDir().toString(),
                "-h", source, "-p", Integer.toString(primary.port()), "-U", "postgres", "-R", "-X", "stream",
                "-c", "fast", "-C", "-S", slot, "--no-sync");
        return standby.start();
    }

    public synchronized List<PgCluster> clusters() {
        return List.copyOf(clusters.values());
    }

    /** The lab's name, e.g. "vp3k9a"; its work directory is /tmp/vigil-labs/NAME. */
    public synchronized String name() {
        return requireOpen().name();
    }

    private PgCluster register(String name, Optional<Host> host) {
        LabLock open = requireOpen();
        if (!CLUSTER_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("cluster name '" + name + "' must match " + CLUSTER_NAME.pattern());
        }
        if (clusters.containsKey(name)) {
            throw new IllegalArgumentException("cluster '" + name + "' already exists in lab " + open.name());
        }
        Path home = open.workDir().resolve(name);
        try {
            Files.createDirectories(home.resolve("sock"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + home, e);
        }
        // The postgres user must reach its directories; the lab's work directory is root's, world-traversable.
        Exec.check("chmod", "755", open.workDir().toString());
        Exec.check("chown", "-R", "postgres:postgres", home.toString());
        Exec.check("chmod", "700", home.toString());
        // In a host the first cluster gets 5432, as on a real database host, so a VIP that moves between
        // hosts reaches PostgreSQL on the same port everywhere.
        int port = host.isPresent()
                ? 5432 + (int) clusters.values().stream().filter(c -> c.host().equals(host)).count()
                : PgCluster.freePort();
        PgCluster cluster = new PgCluster(name, home, host, port);
        clusters.put(name, cluster);
        return cluster;
    }

    private static void runAsPostgres(Optional<Host> host, String... argv) {
        List<String> full = new ArrayList<>();
        host.ifPresent(h -> full.addAll(List.of("ip", "netns", "exec", h.namespace())));
        full.addAll(List.of("runuser", "-u", "postgres", "--"));
        full.addAll(List.of(argv));
        Exec.run(java.time.Duration.ofSeconds(120), full).orThrow();
    }

    /** Stops every cluster (immediate shutdown: the data is thrown away) and deletes the lab's directory. Idempotent. */
    @Override
    public synchronized void close() {
        if (lock == null) {
            return;
        }
        Teardown teardown = new Teardown();
        teardown.each(clusters.values(), PgCluster::discard);
        teardown.step(lock::close);
        lock = null;
        clusters.clear();
        teardown.finish("PgLab");
    }

    private LabLock requireOpen() {
        if (lock == null) {
            throw new IllegalStateException("PgLab is not open: register it with @RegisterExtension or use PgLab.create()");
        }
        return lock;
    }

    /** Kills postmasters still running from data directories of dead labs, then their directories go. */
    static void sweepLeftovers() {
        LabLock.sweepDead(KIND, name -> {
            Path workDir = LabLock.WORK_ROOT.resolve(name);
            if (Files.isDirectory(workDir)) {
                try (Stream<Path> homes = Files.list(workDir)) {
                    homes.map(home -> home.resolve("data")).forEach(PgLab::killPostmasterOf);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot list " + workDir, e);
                }
            }
            return true;
        });
    }

    private static void killPostmasterOf(Path dataDir) {
        Path pidFile = dataDir.resolve("postmaster.pid");
        try {
            if (!Files.exists(pidFile)) {
                return;
            }
            long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).strip());
            // Only if that pid really is a postgres serving this data directory (pids get reused).
            ProcessHandle.of(pid)
                    .filter(p -> p.info().commandLine().map(cmd -> cmd.contains(dataDir.toString())).orElse(false)
                            || readCmdline(pid).contains(dataDir.toString()))
                    .ifPresent(p -> {
                        List<ProcessHandle> children = p.descendants().toList();
                        p.destroyForcibly();
                        children.forEach(ProcessHandle::destroyForcibly);
                    });
        } catch (IOException | RuntimeException ignored) {
            // nothing to kill
        }
    }

    private static String readCmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"))).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    // ---- JUnit -----------------------------------------------------------------------------------------------

    @Override
    public void beforeAll(ExtensionContext context) {
        perClass = true;
        open();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (!perClass) {
            open();
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

    private synchronized void reportIfFailed(ExtensionContext context) {
        if (context.getExecutionException().isEmpty()) {
            return;
        }
        for (PgCluster cluster : clusters.values()) {
            try {
                List<String> lines = Files.exists(cluster.logFile()) ? Files.readAllLines(cluster.logFile()) : List.of();
                System.err.println("---- PostgreSQL " + cluster.name() + " log (last 40 lines) ----");
                lines.subList(Math.max(0, lines.size() - 40), lines.size()).forEach(System.err::println);
            } catch (IOException | UncheckedIOException e) {
                System.err.println("cannot read log of " + cluster.name() + ": " + e);
            }
        }
    }
}
