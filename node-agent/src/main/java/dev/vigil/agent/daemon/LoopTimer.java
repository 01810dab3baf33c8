package dev.vigil.agent.daemon;

import dev.vigil.agent.net.LinuxCallFailed;
import dev.vigil.agent.net.TimerFd;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.internal.ContextInternal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The routers' protocol timers, on the event loop itself (no thread of their own), with nanosecond deadlines.
 *
 * <p>On the epoll transport (the agent's default) the deadlines wait on a timerfd of their own in the loop's epoll set
 * ({@link TimerFd}, armed at the earliest deadline, absolute {@code CLOCK_MONOTONIC}), as {@link LoopReceiver} puts
 * the VRRP sockets there. The wake is then an hrtimer with no slack. Netty's scheduled tasks would have the loop wait
 * with {@code epoll_pwait2}, whose timeout the kernel lets end up to 0.1 % late for a thread that is not real-time
 * (360 µs on a 0.36 s Master_Down wait; timer slack does not lower it), and Netty's own timerfd mode
 * ({@code io.netty.channel.epoll.epollWaitThreshold=0}) changes how every wait of the loop is timed, which is not
 * ours to change (bench/RESULTS.md, fourth and fifth passes). Expired slots run in the timerfd's wake-up itself (no
 * task hop); when they are found late (a held-up loop) the loop's VRRP sockets are drained first
 * ({@link #drainFirst}), so a Master_Down deadline that expired while its master's advert was waiting in the socket
 * sees that advert first. Elsewhere (NIO fallback, or no timerfd) they are Netty scheduled tasks; the selector rounds
 * those waits up to the next millisecond.
 *
 * <p>Each timer is a {@link Slot} re-armed in place: a backup pushes its Master_Down deadline later on every advert
 * (2000 times a second with 200 instances at 0.1 s), and that must cost neither a task nor a syscall. A slot is
 * queued once, at its earliest deadline; when that passes and the deadline has moved later, it is queued again at
 * its current deadline, and only a deadline really due runs the slot's task.
 */
final class LoopTimer {
    private static final Logger LOG = LoggerFactory.getLogger(LoopTimer.class);

    private final ContextInternal context;
    private final EventLoop loop;
    private final Wake wake; // null: Netty's scheduled tasks
    /** The loop's receive sockets' drains ({@link LoopReceiver}), run before due slots are looked at; loop only. */
    private final List<Runnable> drainsFirst = new ArrayList<>();

    LoopTimer(ContextInternal context) {
        this.context = context;
        this.loop = context.nettyEventLoop();
        this.wake = LoopReceiver.supported(context) ? Wake.open(this) : null;
    }

    /** Whether the deadlines wait on a timerfd of the loop's epoll set (else on Netty's scheduled tasks). */
    boolean onTimerFd() {
        return wake != null;
    }

    /**
     * {@code drain} (a {@link LoopReceiver}'s) runs before the due slots of each timerfd wake-up, on the loop, until
     * {@link #drainNoLonger}: a deadline is looked at only after the adverts already received pushed it.
     */
    void drainFirst(Runnable drain) {
        drainsFirst.add(drain);
    }

    void drainNoLonger(Runnable drain) {
        drainsFirst.remove(drain);
    }

    /**
     * Runs {@code rounds} timerfd wake-ups, each due at once, through the path a Master_Down expiry takes (epoll,
     * Netty's ready loop, the drains, the heap, a slot's task), and waits for them; never on the loop. A backup's
     * takeover otherwise runs code that has run a few hundred times when the first one comes, Netty's part of it
     * interpreted (compiled ~24 s after start in bench/wire.sh's runs: HotSpot compiles a method after ~200 calls,
     * and a backup's timerfd wakes ~3 times a second). About 1,000 wake-ups take 20-50 ms. Returns the rounds run.
     */
    int warmUp(int rounds) {
        if (wake == null || rounds <= 0) {
            return 0;
        }
        java.util.concurrent.CompletableFuture<Integer> done = new java.util.concurrent.CompletableFuture<>();
        int[] ran = {0};
        Slot[] slot = new Slot[1];
        slot[0] = slot(() -> {
            if (++ran[0] >= rounds) {
                done.complete(ran[0]);
            } else {
                slot[0].arm(System.nanoTime());
            }
        });
        loop.execute(() -> slot[0].arm(System.nanoTime()));
        try {
            return done.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            loop.execute(slot[0]::cancel);
            return ran[0];
        }
    }

    /** A timer whose {@code task} runs on the event loop once its armed deadline ({@code System.nanoTime()}) passes. */
    Slot slot(Runnable task) {
        return new Slot(task);
    }

    /** One re-armable timer; every method runs on the event loop. */
    final class Slot {
        private final Runnable task;
        private final Runnable due = this::due; // allocated once: re-arming allocates only Netty's task
        private final Runnable fire = this::fire;
        private long deadline;
        private boolean armed;
        private long queuedAt; // the deadline it waits for in the queue (timerfd) or Netty's task
        private int index = -1; // position in the timerfd queue, -1 when not in it
        private ScheduledFuture<?> scheduled; // Netty's task, null when none is queued

        private Slot(Runnable task) {
            this.task = task;
        }

        void arm(long deadlineNanos) {
            deadline = deadlineNanos;
            armed = true;
            if (wake != null) {
                wake.queue(this, deadlineNanos);
            } else if (scheduled == null) {
                schedule(deadlineNanos);
            } else if (deadlineNanos - queuedAt < 0) {
                scheduled.cancel(false);
                schedule(deadlineNanos);
            }
        }

        void cancel() {
            armed = false; // a queued wake, if any, finds the slot disarmed
        }

        private void schedule(long at) {
            queuedAt = at;
            scheduled = loop.schedule(due, Math.max(0, at - System.nanoTime()), TimeUnit.NANOSECONDS);
        }

        private void due() {
            scheduled = null;
            if (!armed) {
                return;
            }
            long d = deadline;
            if (d - System.nanoTime() > 0) {
                schedule(d); // pushed later since it was scheduled
                return;
            }
            armed = false;
            context.dispatch(fire); // as Vert.x runs its own handlers: the context current, failures reported
        }

        private void fire() {
            task.run();
        }
    }

    /**
     * The timerfd in the loop's epoll set and the slots waiting for it: a binary min-heap by {@code queuedAt}, each
     * slot at most once (its {@code index}), so arming allocates nothing. The timerfd is re-armed only when the
     * earliest deadline becomes earlier than the one it holds; a wake that finds nothing due re-arms it later.
     */
    private static final class Wake implements EpollIoHandle {
        /**
         * How late a due slot may be found before the sockets are drained ahead of it: a wake-up on time comes 50-80
         * µs after its deadline on a busy 2-core host, a held-up loop milliseconds after (the 0.01 s interval's
         * Master_Down_Interval is 36 ms).
         */
        static final long LATE_NANOS = 500_000;
        private final LoopTimer timers;
        private final TimerFd timerFd;
        private final FileDescriptor fd;
        private final Runnable expire = this::expire; // allocated once
        private Slot[] heap = new Slot[64];
        private int size;
        private boolean programmed; // the timerfd holds `programmedAt` and has not been read since
        private long programmedAt;
        private boolean expiring; // in expire(): re-arm once at the end, not per slot
        private IoRegistration registration;
        private boolean closed; // the loop is ending: nothing fires any more

        private Wake(LoopTimer timers, TimerFd timerFd) {
            this.timers = timers;
            this.timerFd = timerFd;
            this.fd = new FileDescriptor(timerFd.fd()); // closed through timerFd, in close()
        }

        /** Opens and registers the timerfd, waiting for the loop (never call it on the loop); null if it cannot. */
        static Wake open(LoopTimer timers) {
            IoEventLoop loop = (IoEventLoop) timers.loop;
            if (loop.inEventLoop()) {
                throw new IllegalStateException("LoopTimer must be created off its event loop");
            }
            TimerFd t;
            try {
                t = TimerFd.open();
            } catch (LinuxCallFailed e) {
                LOG.warn("protocol timers on Netty's scheduled tasks: {}", e.getMessage());
                return null;
            }
            Wake w = new Wake(timers, t);
            try {
                IoRegistration reg = loop.register(w).get(10, TimeUnit.SECONDS);
                loop.submit(() -> {
                    w.registration = reg;
                    reg.submit(EpollIoOps.EPOLLIN);
                }).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                t.close();
                LOG.warn("protocol timers on Netty's scheduled tasks: timerfd not registered with the loop: {}",
                        e.toString());
                return null;
            }
            return w;
        }

        void queue(Slot s, long at) {
            if (s.index < 0) {
                s.queuedAt = at;
                add(s);
            } else if (at - s.queuedAt < 0) {
                s.queuedAt = at;
                up(s.index);
            } else {
                return; // queued earlier: found pushed later when that comes
            }
            if (!expiring) {
                program();
            }
        }

        /** The timerfd to the earliest queued deadline, if that is earlier than what it holds. */
        private void program() {
            if (size == 0 || closed) {
                return; // an armed timerfd with nothing due costs one wake-up that finds nothing
            }
            long first = heap[0].queuedAt;
            if (programmed && first - programmedAt >= 0) {
                return;
            }
            try {
                timerFd.armAt(first);
                programmed = true;
                programmedAt = first;
            } catch (LinuxCallFailed e) { // not seen: a valid timerfd takes any time; keep the deadline anyway
                LOG.error("timerfd_settime failed, deadline kept by Netty's scheduler: {}", e.getMessage());
                timers.loop.schedule(expire, Math.max(0, first - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            timers.context.dispatch(expire); // the context current; one dispatch for all the slots due
        }

        /**
         * Runs in the wake-up itself, not as a loop task after it: that hop through Netty's task queue was ~40 µs of
         * a takeover's path (bench/RESULTS.md, sixth pass). A slot found due more than {@link #LATE_NANOS} after its
         * deadline means the loop was held up (GC, a busy core, a flood): the sockets are drained first, once, so
         * that the adverts waiting there push their Master_Down deadlines before any is acted on. On time, an advert
         * not yet read could only have come in the last tens of µs of a whole Master_Down_Interval: a race the
         * protocol has anyway (keepalived's too), not worth a receive call before every takeover's advert. The
         * timerfd is read last, after a takeover's advert left.
         */
        private void expire() {
            expiring = true;
            try {
                long now = System.nanoTime();
                boolean drained = false;
                while (size > 0 && heap[0].queuedAt - now <= 0) {
                    Slot first = heap[0];
                    if (!drained && first.armed && now - first.deadline > LATE_NANOS) {
                        drained = true;
                        for (Runnable d : timers.drainsFirst) {
                            d.run(); // may push deadlines, re-queueing their slots: look again
                        }
                        now = System.nanoTime();
                        continue;
                    }
                    Slot s = removeFirst();
                    if (!s.armed) {
                        continue;
                    }
                    if (s.deadline - now > 0) {
                        s.queuedAt = s.deadline; // pushed later since it was queued
                        add(s);
                        continue;
                    }
                    s.armed = false;
                    try {
                        s.fire();
                    } catch (RuntimeException e) {
                        timers.context.reportException(e); // as dispatch would; the other slots still run
                    }
                }
            } finally {
                if (timerFd.consume()) {
                    programmed = false;
                }
                expiring = false;
                program();
            }
        }

        private void add(Slot s) {
            if (size == heap.length) {
                heap = Arrays.copyOf(heap, size * 2);
            }
            heap[size] = s;
            s.index = size++;
            up(s.index);
        }

        private Slot removeFirst() {
            Slot first = heap[0];
            Slot last = heap[--size];
            heap[size] = null;
            first.index = -1;
            if (size > 0) {
                heap[0] = last;
                last.index = 0;
                down(0);
            }
            return first;
        }

        private void up(int i) {
            Slot s = heap[i];
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                Slot p = heap[parent];
                if (s.queuedAt - p.queuedAt >= 0) {
                    break;
                }
                heap[i] = p;
                p.index = i;
                i = parent;
            }
            heap[i] = s;
            s.index = i;
        }

        private void down(int i) {
            Slot s = heap[i];
            int half = size >>> 1;
            while (i < half) {
                int child = 2 * i + 1;
                int right = child + 1;
                if (right < size && heap[right].queuedAt - heap[child].queuedAt < 0) {
                    child = right;
                }
                Slot c = heap[child];
                if (s.queuedAt - c.queuedAt <= 0) {
                    break;
                }
                heap[i] = c;
                c.index = i;
                i = child;
            }
            heap[i] = s;
            s.index = i;
        }

        /** Netty closes the handle when the loop ends (Vert.x closed): the timerfd goes with it. */
        @Override
        public void close() {
            closed = true;
            if (registration != null) {
                try {
                    registration.cancel();
                } catch (Exception e) {
                    // the loop is ending: its epoll set goes with it
                }
            }
            timerFd.close();
        }
    }
}
