package dev.vigil.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A lab's name and its proof of life. Each lab holds an exclusive lock on {@code /run/vigil-labs/NAME.lock}
 * for as long as it lives; the kernel drops the lock when the JVM dies, however it dies. So anything on the
 * machine carrying a lab name whose lock is free belongs to a killed run and may be removed, and nothing
 * of a live lab (in this JVM or another) ever is.
 *
 * <p>A name is a two-letter kind ({@code vl} NetLab, {@code vp} PgLab) plus four random characters,
 * short enough for 15-character interface names.
 */
final class LabLock implements AutoCloseable {

    static final Path LOCK_DIR = Path.of("/run/vigil-labs");
    static final Path WORK_ROOT = Path.of("/tmp/vigil-labs");
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Names locked by this JVM: never open their lock files again, since closing any descriptor drops fcntl locks. */
    private static final Set<String> HELD = ConcurrentHashMap.newKeySet();

    private final String name;
    private final FileChannel channel;
    private final FileLock lock;
    private final Path workDir;
    private Thread shutdownHook;

    private LabLock(String name, FileChannel channel, FileLock lock, Path workDir) {
        this.name = name;
        this.channel = channel;
        this.lock = lock;
        this.workDir = workDir;
    }

    /**
     * Takes a fresh name of this kind for {@code lab} and closes the lab from a shutdown hook if the JVM exits
     * before the lab is closed ({@link #close()} removes the hook).
     */
    static LabLock acquire(String kind, String labKind, AutoCloseable lab) {
        LabLock lock = acquire(kind);
        lock.shutdownHook = new Thread(() -> {
            try {
                lab.close();
            } catch (Exception e) {
                System.err.println(labKind + " cleanup in shutdown hook: " + e);
            }
        }, kind + "-" + lock.name + "-shutdown");
        Runtime.getRuntime().addShutdownHook(lock.shutdownHook);
        return lock;
    }

    static Pattern namePattern(String kind) {
        return Pattern.compile(Pattern.quote(kind) + "[a-z0-9]{4}");
    }

    /** Takes a fresh name of this kind and locks it; creates its work directory under /tmp/vigil-labs. */
    static LabLock acquire(String kind) {
        try {
            Files.createDirectories(LOCK_DIR);
            Files.createDirectories(WORK_ROOT);
            for (int attempt = 0; attempt < 100; attempt++) {
                StringBuilder name = new StringBuilder(kind);
                for (int i = 0; i < 4; i++) {
                    name.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
                }
                Path file = LOCK_DIR.resolve(name + ".lock");
                FileChannel channel;
                try {
                    channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                } catch (FileAlreadyExistsException taken) {
                    continue;
                }
                FileLock lock = channel.lock();
                // A sweeper may have locked and deleted the fresh file between create and lock: then start over.
                if (!Files.exists(file)) {
                    lock.release();
                    channel.close();
                    continue;
                }
                HELD.add(name.toString());
                channel.write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes()));
                Path workDir = WORK_ROOT.resolve(name.toString());
                Files.createDirectories(workDir);
                return new LabLock(name.toString(), channel, lock, workDir);
            }
            throw new IllegalStateException("no free lab name of kind " + kind + " after 100 attempts in " + LOCK_DIR);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot take a lab lock in " + LOCK_DIR, e);
        }
    }

    String name() {
        return name;
    }

    Path workDir() {
        return workDir;
    }

    /**
     * Whether the lab called {@code name} is alive. Call it only AFTER listing the resources to sweep: a lab
     * locks its name before creating anything, so a resource seen earlier has a lock file by now.
     */
    static boolean isAlive(String name) {
        if (HELD.contains(name)) {
            return true;
        }
        Path file = LOCK_DIR.resolve(name + ".lock");
        if (!Files.exists(file)) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            FileLock probe = channel.tryLock();
            if (probe == null) {
                return true;
            }
            probe.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true;
        } catch (IOException e) {
            return Files.exists(file);
        }
    }

    /**
     * Runs {@code sweep} for every dead lab name of this kind that has a lock file or a work directory, holding
     * the dead name's lock meanwhile (so nobody reuses it), then deletes the lock file and work directory.
     */
    static void sweepDead(String kind, Predicate<String> sweep) {
        Pattern pattern = namePattern(kind);
        try {
            Files.createDirectories(LOCK_DIR);
            Files.createDirectories(WORK_ROOT);
            Set<String> names = ConcurrentHashMap.newKeySet();
            for (Path dir : new Path[] {LOCK_DIR, WORK_ROOT}) {
                try (Stream<Path> entries = Files.list(dir)) {
                    entries.map(p -> p.getFileName().toString().replaceFirst("\\.lock$", ""))
                            .filter(n -> pattern.matcher(n).matches())
                            .forEach(names::add);
                }
            }
            for (String name : names) {
                if (HELD.contains(name)) {
                    continue;
                }
                Path file = LOCK_DIR.resolve(name + ".lock");
                try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
                    FileLock lock = channel.tryLock();
                    if (lock == null) {
                        continue;
                    }
                    try {
                        sweep.test(name);
                        deleteTree(WORK_ROOT.resolve(name));
                        Files.deleteIfExists(file);
                    } finally {
                        lock.release();
                    }
                } catch (OverlappingFileLockException | IOException skipped) {
                    // alive or raced by another sweeper: leave it
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot sweep leftovers in " + LOCK_DIR + " and " + WORK_ROOT, e);
        }
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // Something busy (a mount, a file of a still-dying process): fall back to rm, which reports what.
            Exec.run("rm", "-rf", "--one-file-system", root.toString());
        }
    }

    @Override
    public void close() {
        if (shutdownHook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException shuttingDown) {
                // we are the shutdown hook
            }
        }
        try {
            deleteTree(workDir);
            Files.deleteIfExists(LOCK_DIR.resolve(name + ".lock"));
            lock.release();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release lab lock " + name, e);
        } finally {
            HELD.remove(name);
        }
    }
}
