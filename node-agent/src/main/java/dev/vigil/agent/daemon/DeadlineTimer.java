package dev.vigil.agent.daemon;

import io.vertx.core.Context;

import java.util.PriorityQueue;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The routers' protocol timers: one thread sleeps until the earliest monotonic deadline and hands what is due to
 * the event loop. Vert.x timers only have millisecond resolution (and the NIO selector rounds its timeout up to the
 * next millisecond); a takeover is judged in fractions of a millisecond against keepalived, so the wait is a
 * {@code parkNanos} here. The task itself always runs on the event loop, never on this thread.
 */
final class DeadlineTimer implements AutoCloseable {

    /** A scheduled task; {@link #cancel()} is only called on the event loop, which is where the flag is read. */
    static final class Entry implements Comparable<Entry> {
        private final long deadline;
        private final long sequence;
        private final Runnable task;
        private volatile boolean cancelled;

        private Entry(long deadline, long sequence, Runnable task) {
            this.deadline = deadline;
            this.sequence = sequence;
            this.task = task;
        }

        void cancel() {
            cancelled = true;
        }

        boolean cancelled() {
            return cancelled;
        }

        @Override
        public int compareTo(Entry o) {
            int c = Long.compare(deadline - o.deadline, 0); // monotonic nanos may wrap: compare differences
            return c != 0 ? c : Long.compare(sequence, o.sequence);
        }
    }

    private final Context loop;
    private final PriorityQueue<Entry> queue = new PriorityQueue<>();
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

    /** Runs {@code task} on the event loop once {@code System.nanoTime()} reaches {@code deadlineNanos}. */
    Entry schedule(long deadlineNanos, Runnable task) {
        lock.lock();
        try {
            Entry e = new Entry(deadlineNanos, sequence++, task);
            queue.add(e);
            if (queue.peek() == e) {
                changed.signal();
            }
            return e;
        } finally {
            lock.unlock();
        }
    }

    private void run() {
        while (!closed) {
            Entry due;
            lock.lock();
            try {
                Entry head = queue.peek();
                while (head != null && head.cancelled) { // cancelled entries leave when they reach the head
                    queue.poll();
                    head = queue.peek();
                }
                if (head == null) {
                    changed.await();
                    continue;
                }
                long wait = head.deadline - System.nanoTime();
                if (wait > 0) {
                    changed.awaitNanos(wait);
                    continue;
                }
                due = queue.poll();
            } catch (InterruptedException e) {
                return;
            } finally {
                lock.unlock();
            }
            loop.runOnContext(v -> {
                if (!due.cancelled) {
                    due.task.run();
                }
            });
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
