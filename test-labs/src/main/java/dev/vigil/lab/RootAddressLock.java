package dev.vigil.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The right to give the root namespace address .1 on documentation network N. Only one live lab on the machine
 * may hold it; labs in other JVMs (another suite, the demo) wait for it, bounded, instead of failing, so suites
 * can run side by side. Two labs in one JVM cannot wait for each other (the holder may be the waiter's own
 * caller), so the second is refused at once. The lock is an fcntl lock on a file that is never deleted: the
 * kernel drops it however the holder dies.
 */
final class RootAddressLock implements AutoCloseable {

    private static final Set<Integer> HELD_HERE = ConcurrentHashMap.newKeySet();

    private final int network;
    private final FileChannel channel;
    private final FileLock lock;

    private RootAddressLock(int network, FileChannel channel, FileLock lock) {
        this.network = network;
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes network {@code index}'s lock, waiting at most {@code patience}; throws with {@code refusal} if not. */
    static RootAddressLock acquire(int index, Duration patience, String refusal) {
        if (!HELD_HERE.add(index)) {
            throw new IllegalStateException(refusal + " (a lab in this JVM)");
        }
        try {
            Files.createDirectories(LabLock.LOCK_DIR);
            FileChannel channel = FileChannel.open(LabLock.LOCK_DIR.resolve("rootaddr-" + index + ".lock"),
                    StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            long deadline = System.nanoTime() + patience.toNanos();
            while (true) {
                FileLock lock = channel.tryLock();
                if (lock != null) {
                    return new RootAddressLock(index, channel, lock);
                }
                if (System.nanoTime() > deadline) {
                    channel.close();
                    throw new IllegalStateException(refusal + " (another process held it for " + patience.toSeconds() + " s)");
                }
                Thread.sleep(250);
            }
        } catch (IOException e) {
            HELD_HERE.remove(index);
            throw new UncheckedIOException("cannot take the root address lock in " + LabLock.LOCK_DIR, e);
        } catch (InterruptedException e) {
            HELD_HERE.remove(index);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the root address lock", e);
        } catch (RuntimeException e) {
            HELD_HERE.remove(index);
            throw e;
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot release the root address lock", e);
        } finally {
            HELD_HERE.remove(network);
        }
    }
}
