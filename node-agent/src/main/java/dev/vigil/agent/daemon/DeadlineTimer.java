package dev.vigil.agent.daemon;

import io.vertx.core.Context;

import java.util.PriorityQueue;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The routers' protocol timers: one thread sleeps until the earliest monotonic deadline and hands what is due to
 * the event loop. Vert.x timers only have millisecond resolution (the NIO selector rounds its timeout up to the
 * next millisecond), and a takeover is judged in fractions of a millisecond against keepalived, so the wait is a
 * {@code parkNanos} here. The task itself always runs on the event loop, never on this thread.
 *
 * <p>Each timer is a {@link Slot} that is re-armed in place: a backup pushes its Master_Down deadline later on
 * every advert (2000 times a second with 200 instances at 0.1 s), and that must not cost a queue entry and a
 * wake-up each time. A slot stays queued at its earliest deadline; when that passes, the thread re-queues it at
 * the slot's current deadline, and only a deadline really due reaches the event loop.
 */
final class DeadlineTimer implements AutoCloseable {

    /** One re-armable timer; {@link #arm} and {@link #cancel} are called on the event loop only. */
    final class Slot {
        private final Runnable task;
        private volatile long deadline;
        private volatile boolean armed;
        private long queuedAt; // guarded by lock
        private boolean queued; // guarded by lock

        private Slot(Runnable task) {
            this.task = task;
        }

        void arm(long deadlineNanos) {
            deadline = deadlineNanos;
            armed = true;
            lock.lock();
            try {
                if (!queued || deadlineNanos - queuedAt < 0) {
                    enqueue(this, deadlineNanos);
                }
            } finally {
                lock.unlock();
            }
        }

        void cancel() {
            armed = false;
        }

        /** On the event loop: runs the task if the slot is still armed and due, else re-arms it. */
        private void fire() {
            if (!armed) {
                return;
            }
            long d = deadline;
            if (d - System.nanoTime() > 0) {
                arm(d);
                return;
            }
            armed = false;
            task.run();
        }
    }

    private record Queued(long at, long sequence, Slot slot) implements Comparable<Queued> {
        @Override
        public int compareTo(Queued o) {
            int c = Long.compare(at - o.at, 0); // monotonic nanos may wrap: compare differences
            return c != 0 ? c : Long.compare(sequence, o.sequence);
        }
    }

    private final Context loop;
    private final PriorityQueue<Queued> queue = new PriorityQueue<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Thread thread;
    private long sequence;
    private volatile boolean closed;

    DeadlineTimer(Context loop) {
        this.loop = loop;
        this.thread = new Thread(this::run, "vrrp-timers");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /** A timer whose {@code task} runs on the event loop when its armed deadline ({@code System.nanoTime()}) passes. */
    Slot slot(Runnable task) {
        return new Slot(task);
    }

    private void enqueue(Slot s, long at) { // lock held
        Queued q = new Queued(at, sequence++, s);
        queue.add(q);
        s.queued = true;
        s.queuedAt = at;
        if (queue.peek() == q) {
            changed.signal();
        }
    }

    private void run() {
        while (!closed) {
            Slot due;
            lock.lock();
            try {
                Queued head = queue.peek();
                if (head == null) {
                    changed.await();
                    continue;
                }
                long now = System.nanoTime();
                if (head.at - now > 0) {
                    changed.awaitNanos(head.at - now);
                    continue;
                }
                queue.poll();
                Slot s = head.slot;
                if (!s.queued || s.queuedAt != head.at) {
                    continue; // superseded by an earlier entry of the same slot
                }
                s.queued = false;
                if (!s.armed) {
                    continue;
                }
                long d = s.deadline;
                if (d - now > 0) {
                    enqueue(s, d); // pushed later since it was queued: sleep on
                    continue;
                }
                due = s;
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            loop.runOnContext(v -> due.fire());
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
