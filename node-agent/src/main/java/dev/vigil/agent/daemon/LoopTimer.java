package dev.vigil.agent.daemon;

import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.internal.ContextInternal;

import java.util.concurrent.TimeUnit;

/**
 * The routers' protocol timers, as scheduled tasks of the event loop itself (no thread of their own). Netty's
 * scheduled tasks keep nanosecond deadlines, and on the epoll transport the loop waits for the earliest one with
 * {@code epoll_pwait2} (the kernel lets it end up to 0.1 % of the timeout late, ~360 µs on a Master_Down wait;
 * Netty's timerfd instead, {@code io.netty.channel.epoll.epollWaitThreshold=0}, stalled script checks: see
 * bench/RESULTS.md; timer slack 1 µs on the loop thread); Vert.x's
 * {@code setTimer} takes whole milliseconds. On the NIO fallback the selector rounds waits up to the next
 * millisecond, which makes takeovers up to a millisecond late but changes nothing else.
 *
 * <p>Each timer is a {@link Slot} re-armed in place: a backup pushes its Master_Down deadline later on every advert
 * (2000 times a second with 200 instances at 0.1 s), and that must not cost a scheduled task each time. A slot keeps
 * one task at its earliest deadline; when that passes and the deadline has moved later, the task is scheduled again
 * at the slot's current deadline, and only a deadline really due runs the slot's task.
 */
final class LoopTimer {
    private final ContextInternal context;
    private final EventLoop loop;

    LoopTimer(ContextInternal context) {
        this.context = context;
        this.loop = context.nettyEventLoop();
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
        private ScheduledFuture<?> scheduled; // null when no task is queued
        private long scheduledAt;

        private Slot(Runnable task) {
            this.task = task;
        }

        void arm(long deadlineNanos) {
            deadline = deadlineNanos;
            armed = true;
            if (scheduled == null) {
                schedule(deadlineNanos);
            } else if (deadlineNanos - scheduledAt < 0) {
                scheduled.cancel(false);
                schedule(deadlineNanos);
            }
        }

        void cancel() {
            armed = false; // the queued task, if any, finds the slot disarmed
        }

        private void schedule(long at) {
            scheduledAt = at;
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
}
