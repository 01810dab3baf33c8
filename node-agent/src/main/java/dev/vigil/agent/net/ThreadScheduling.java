package dev.vigil.agent.net;

import static dev.vigil.agent.net.LinuxAbi.EINVAL;

/**
 * Scheduling settings of the calling thread (Linux applies these per thread, not per process): timer slack, nice
 * value and real-time priority, as keepalived gives its VRRP process ({@code vrrp_priority},
 * {@code vrrp_rt_priority}).
 */
public final class ThreadScheduling {
    private static final int PR_SET_TIMERSLACK = 29; // linux/prctl.h
    private static final int PRIO_PROCESS = 0; // sys/resource.h: with a thread id, that thread alone
    private static final int SCHED_RR = 2; // sched.h; keepalived's choice for vrrp_rt_priority
    private static final int SCHED_RESET_ON_FORK = 0x40000000; // children (scripts) do not inherit it

    private ThreadScheduling() {
    }

    /**
     * The calling thread's timer slack: how late the kernel may end its timed waits to batch wake-ups (50 µs by
     * default). A VRRP loop judged in fractions of a millisecond wants it small.
     */
    public static void timerSlack(long nanos) throws LinuxCallFailed {
        Syscalls.check(Syscalls.LIBC.prctl(PR_SET_TIMERSLACK, Math.max(1, nanos), 0, 0, 0),
                "prctl(PR_SET_TIMERSLACK, " + nanos + ")");
    }

    /** The calling thread's nice value (-20..19), as keepalived's {@code vrrp_priority} sets its process's. */
    public static void nice(int value) throws LinuxCallFailed {
        if (value < -20 || value > 19) {
            throw new LinuxCallFailed("nice value " + value + " outside -20..19", EINVAL, "out of range");
        }
        Syscalls.check(Syscalls.LIBC.setpriority(PRIO_PROCESS, Syscalls.LIBC.gettid(), value),
                "setpriority(" + value + ")");
    }

    /**
     * The calling thread to SCHED_RR at {@code priority} (1..99), reset on fork, as keepalived's
     * {@code vrrp_rt_priority} does for its VRRP process.
     */
    public static void roundRobin(int priority) throws LinuxCallFailed {
        roundRobin(Syscalls.LIBC.gettid(), priority);
    }

    /** As {@link #roundRobin(int)}, for the thread {@code tid} of this process. */
    public static void roundRobin(int tid, int priority) throws LinuxCallFailed {
        if (priority < 1 || priority > 99) {
            throw new LinuxCallFailed("real-time priority " + priority + " outside 1..99", EINVAL, "out of range");
        }
        Syscalls.check(Syscalls.LIBC.sched_setscheduler(tid, SCHED_RR | SCHED_RESET_ON_FORK,
                new int[] {priority}), "sched_setscheduler(" + tid + ", SCHED_RR, " + priority + ")");
    }

    /**
     * The ids of this process's threads named {@code name} (their {@code comm}, at most 15 characters), read from
     * {@code /proc/self/task}: how the JVM's own threads (the VM thread) are found.
     */
    public static java.util.List<Integer> threadsNamed(String name) {
        java.util.List<Integer> ids = new java.util.ArrayList<>();
        java.io.File[] tasks = new java.io.File("/proc/self/task").listFiles();
        if (tasks == null) {
            return ids;
        }
        for (java.io.File t : tasks) {
            try {
                String comm = java.nio.file.Files.readString(t.toPath().resolve("comm")).strip();
                if (comm.equals(name)) {
                    ids.add(Integer.parseInt(t.getName()));
                }
            } catch (java.io.IOException | NumberFormatException e) {
                // the thread ended meanwhile
            }
        }
        return ids;
    }
}
