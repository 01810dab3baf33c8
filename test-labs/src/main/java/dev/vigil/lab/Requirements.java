package dev.vigil.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Assumptions;

/**
 * What a lab needs from the machine. Under {@code CI=true} a missing requirement fails the test
 * (CI must never pass by skipping); elsewhere it aborts the test, which JUnit reports as skipped.
 */
public final class Requirements {

    /** Where Debian's PostgreSQL 15 server binaries live. */
    public static final Path PG_BIN = Path.of("/usr/lib/postgresql/15/bin");

    private Requirements() {
    }

    public static boolean onCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    public static void requireRoot() {
        String uid = Exec.run("id", "-u").stdout().strip();
        if (!"0".equals(uid)) {
            unmet("root (uid 0) is required, running as uid " + uid);
        }
    }

    /** The command is on PATH (or an absolute path to an executable). */
    public static void requireCommand(String command) {
        if (!commandExists(command)) {
            unmet("command '" + command + "' is not installed (not found on PATH " + System.getenv("PATH") + ")");
        }
    }

    /** Root, iproute2 and nftables: enough to build a {@link NetLab}. */
    public static void requireNamespaces() {
        requireRoot();
        requireCommand("ip");
        requireCommand("nft");
        if (!Files.isDirectory(Path.of("/proc/self/ns")) || !Files.exists(Path.of("/proc/self/ns/net"))) {
            unmet("network namespaces are not supported by this kernel (/proc/self/ns/net missing)");
        }
    }

    /** Root (clusters run as the postgres OS user), PostgreSQL 15 binaries, the postgres user and runuser. */
    public static void requirePostgres() {
        requireRoot();
        requireCommand("runuser");
        for (String binary : new String[] {"initdb", "pg_ctl", "postgres", "pg_basebackup", "psql"}) {
            if (!Files.isExecutable(PG_BIN.resolve(binary))) {
                unmet("PostgreSQL 15 is not installed: " + PG_BIN.resolve(binary) + " missing (Debian package postgresql-15)");
            }
        }
        if (!Exec.run("id", "-u", "postgres").ok()) {
            unmet("the OS user 'postgres' does not exist (Debian package postgresql-15 creates it)");
        }
    }

    /** Reports an unmet requirement: a failure under CI=true, a skipped test elsewhere. */
    public static void unmet(String message) {
        unmet(message, onCi());
    }

    static void unmet(String message, boolean onCi) {
        if (onCi) {
            throw new AssertionError("requirement not met (CI=true, so this fails instead of skipping): " + message);
        }
        Assumptions.abort("requirement not met: " + message);
    }

    static boolean commandExists(String command) {
        if (command.contains("/")) {
            return Files.isExecutable(Path.of(command));
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
        return Arrays.stream((path + ":/usr/sbin:/sbin").split(":"))
                .filter(dir -> !dir.isEmpty())
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, command)));
    }
}
