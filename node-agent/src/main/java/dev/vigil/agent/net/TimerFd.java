package dev.vigil.agent.net;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

/**
 * A Linux timerfd on {@code CLOCK_MONOTONIC} (the clock of {@link System#nanoTime()} in HotSpot on Linux), armed at
 * absolute deadlines: readable once the deadline passes, for an epoll loop to wait on. Its expiry is an hrtimer
 * with no slack, where a timed {@code epoll_pwait2} of a normal thread may end up to 0.1 % of its timeout late
 * (360 µs on a 0.36 s Master_Down wait): keepalived's own scheduler waits on a timerfd for the same reason.
 * Non-blocking and close-on-exec. Not thread-safe: one owner thread (an event loop).
 */
public final class TimerFd implements AutoCloseable {
    private static final int CLOCK_MONOTONIC = 1; // linux/time.h
    private static final int TFD_NONBLOCK = 0x800; // linux/timerfd.h: O_NONBLOCK
    private static final int TFD_CLOEXEC = 0x80000; // O_CLOEXEC
    private static final int TFD_TIMER_ABSTIME = 1;
    private static final int ITIMERSPEC = 32; // { it_interval {sec, nsec}, it_value {sec, nsec} }, 64-bit longs
    private static final long NANOS = 1_000_000_000L;

    private final int fd;
    private final Pointer spec = Memory.allocateDirect(Syscalls.RUNTIME, ITIMERSPEC, true); // reused: no allocation per arm
    private final Pointer expirations = Memory.allocateDirect(Syscalls.RUNTIME, 8, true);
    private boolean closed;

    private TimerFd(int fd) {
        this.fd = fd;
    }

    public static TimerFd open() throws LinuxCallFailed {
        return new TimerFd(Syscalls.check(Syscalls.LIBC.timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC),
                "timerfd_create(CLOCK_MONOTONIC)"));
    }

    public int fd() {
        return fd;
    }

    /**
     * Readable from {@code deadlineNanos} on ({@link System#nanoTime()}'s scale), replacing any earlier setting; a
     * deadline already past makes it readable at once.
     */
    public void armAt(long deadlineNanos) throws LinuxCallFailed {
        long at = Math.max(1, deadlineNanos); // it_value 0 would disarm it
        spec.putLong(0, 0);
        spec.putLong(8, 0);
        spec.putLong(16, at / NANOS);
        spec.putLong(24, at % NANOS);
        Syscalls.check(Syscalls.LIBC.timerfd_settime(fd, TFD_TIMER_ABSTIME, spec, null), "timerfd_settime");
    }

    /** Never readable until armed again. */
    public void disarm() throws LinuxCallFailed {
        spec.putLong(0, 0);
        spec.putLong(8, 0);
        spec.putLong(16, 0);
        spec.putLong(24, 0);
        Syscalls.check(Syscalls.LIBC.timerfd_settime(fd, 0, spec, null), "timerfd_settime(disarm)");
    }

    /** Consumes the expiry so the descriptor is no longer readable; whether it had expired (false: nothing to read). */
    public boolean consume() {
        return Syscalls.LIBC.read(fd, expirations, 8) == 8;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Syscalls.closeQuietly(fd);
        }
    }
}
