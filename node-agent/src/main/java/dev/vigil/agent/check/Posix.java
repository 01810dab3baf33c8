package dev.vigil.agent.check;

import jnr.ffi.LibraryLoader;
import jnr.ffi.annotations.In;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The few libc calls the JDK does not offer: signalling a whole process group (a timed-out script's children die with
 * it) and a FIFO opened {@code O_RDWR|O_NONBLOCK} as keepalived opens {@code notify_fifo} (a write never blocks, with
 * or without a reader).
 */
public final class Posix {

    public static final int SIGTERM = 15;
    public static final int SIGKILL = 9;
    public static final int O_RDWR = 02;
    public static final int O_NONBLOCK = 04000;
    public static final int O_CLOEXEC = 02000000;
    public static final int EAGAIN = 11;

    /** The bound calls; errno is saved by jnr after each one ({@link #errno()}). */
    public interface Calls {
        int kill(int pid, int signal);

        int open(String path, int flags);

        @ssize_t long write(int fd, @In byte[] buffer, @size_t long length);

        int close(int fd);

        int mkfifo(String path, int mode);

        String strerror(int errno);
    }

    private static final class Holder {
        static final Calls LIBC = LibraryLoader.create(Calls.class).load("c");
    }

    private Posix() {}

    public static Calls libc() {
        return Holder.LIBC;
    }

    public static int errno() {
        return jnr.ffi.Runtime.getRuntime(Holder.LIBC).getLastError();
    }

    /** Signals every process of group {@code pgid} (ESRCH, nobody left, is fine). */
    public static void killGroup(long pgid, int signal) {
        libc().kill(-(int) pgid, signal);
    }
}
