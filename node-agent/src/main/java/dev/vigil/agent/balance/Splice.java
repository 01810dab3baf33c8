package dev.vigil.agent.balance;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetSocket;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Bytes between a client and a server socket, in both directions, with back-pressure: each direction counts the
 * bytes written but not yet handed to the kernel (a write's future completes when Netty has written it to the
 * socket); at {@code bound} it pauses its source and resumes it below half of that. So a client that stops reading
 * (or a slow server) holds at most {@code bound} plus one read (64 KiB at most) per direction in this process,
 * plus what Vert.x queues in a paused socket. Everything runs on one event loop.
 */
final class Splice {

    /** One direction. */
    private static final class Pump {
        final NetSocket from;
        final NetSocket to;
        final int bound;
        final AtomicLong buffered;
        final AtomicLong peakAll;
        final LongConsumer bytes;
        long pending;
        long peak;
        boolean paused;

        Pump(NetSocket from, NetSocket to, int bound, AtomicLong buffered, AtomicLong peakAll, LongConsumer bytes) {
            this.peakAll = peakAll;
            this.from = from;
            this.to = to;
            this.bound = bound;
            this.buffered = buffered;
            this.bytes = bytes;
        }

        void start() {
            from.handler(this::data);
        }

        private void data(Buffer b) {
            int n = b.length();
            bytes.accept(n);
            pending += n;
            if (pending > peak) {
                peak = pending;
                peakAll.accumulateAndGet(peak, Math::max);
            }
            buffered.addAndGet(n);
            to.write(b).onComplete(ar -> {
                pending -= n;
                buffered.addAndGet(-n);
                if (paused && pending <= bound / 2) {
                    paused = false;
                    from.resume();
                }
            });
            if (!paused && pending >= bound) {
                paused = true;
                from.pause();
            }
        }
    }

    private final NetSocket client;
    private final NetSocket server;
    private final Pump up;
    private final Pump down;
    private boolean closed;

    /**
     * @param buffered the proxy's buffered-bytes gauge, which both directions add to and take from
     * @param peak     the proxy's high-water mark of one direction of one connection
     * @param toServer called with the size of each chunk from the client; {@code toClient} from the server
     * @param onClose  called once, when both sockets are closed or closing
     */
    Splice(NetSocket client, NetSocket server, int bound, AtomicLong buffered, AtomicLong peak, LongConsumer toServer,
           LongConsumer toClient, Runnable onClose) {
        this.client = client;
        this.server = server;
        this.up = new Pump(client, server, bound, buffered, peak, toServer);
        this.down = new Pump(server, client, bound, buffered, peak, toClient);
        Runnable end = () -> {
            if (!closed) {
                closed = true;
                // end() flushes what is queued, then closes; the other side is done with us
                client.end();
                server.end();
                onClose.run();
            }
        };
        client.endHandler(v -> end.run());
        server.endHandler(v -> end.run());
        client.closeHandler(v -> end.run());
        server.closeHandler(v -> end.run());
        client.exceptionHandler(t -> end.run());
        server.exceptionHandler(t -> end.run());
    }

    void start() {
        up.start();
        down.start();
        client.resume();
        server.resume();
    }

    /** Closes both sockets at once (the real server failed its checks). */
    void cut() {
        client.close();
        server.close();
    }

    /** The most either direction of this connection held at once. */
    long peakBuffered() {
        return Math.max(up.peak, down.peak);
    }
}
