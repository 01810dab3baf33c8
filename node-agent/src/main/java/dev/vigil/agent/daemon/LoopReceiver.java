package dev.vigil.agent.daemon;

import dev.vigil.agent.net.VrrpSocket;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.vertx.core.internal.ContextInternal;

import java.util.concurrent.TimeUnit;

/**
 * A polled {@link VrrpSocket}'s receive descriptor in the event loop's own epoll set (Netty 4.2 lets any
 * descriptor join an epoll {@link IoEventLoop}): when it is readable the loop thread reads it without waiting and
 * hands each packet to the router on the same thread. This replaces a reader thread that woke the loop for every
 * packet (one thread hop per advert, 60-250 µs on a busy host). Level-triggered; a readiness event reads at most
 * {@link #BATCH} datagrams so a flood cannot starve the loop's timers and tasks (the rest comes on the next turn).
 */
final class LoopReceiver implements EpollIoHandle {
    /**
     * Datagrams read per readiness event. Netty runs the loop's due tasks between two readiness events, so a batch
     * smaller than what piled up in a stall (GC, a busy CPU) fired Master_Down timers whose master's adverts were
     * still unread in the socket: 4,096 is about what the 4 MiB receive buffer holds (200 ms of 200 instances at
     * advert_int 0.01 s).
     */
    static final int BATCH = 4096;

    private final VrrpSocket socket;
    private final FileDescriptor fd;
    private final ContextInternal context;
    private final Runnable drain; // allocated once: a readiness event allocates nothing here
    private final LoopTimer timers;
    private IoRegistration registration; // loop only

    private LoopReceiver(VrrpSocket socket, ContextInternal context, Runnable drain, LoopTimer timers) {
        this.socket = socket;
        this.fd = new FileDescriptor(socket.receiveFd()); // never closed through here: the socket owns the fd
        this.context = context;
        this.drain = drain;
        this.timers = timers;
    }

    /** Whether {@code context}'s loop is an epoll loop that takes foreign descriptors. */
    static boolean supported(ContextInternal context) {
        return context.nettyEventLoop() instanceof IoEventLoop l && l.isCompatible(LoopReceiver.class);
    }

    /**
     * Registers {@code socket} (opened with {@link VrrpSocket#openPolled}) on {@code context}'s loop for reading and
     * waits for that; {@code drain} then runs on the loop whenever it is readable, and reads at most {@link #BATCH}
     * datagrams ({@link VrrpSocket#drain} or {@link VrrpSocket#drainIpv4}). {@code timers} (the same loop's) also
     * runs it before it looks at due deadlines ({@link LoopTimer#drainFirst}).
     */
    static LoopReceiver register(VrrpSocket socket, ContextInternal context, Runnable drain, LoopTimer timers) {
        LoopReceiver r = new LoopReceiver(socket, context, drain, timers);
        IoEventLoop loop = (IoEventLoop) context.nettyEventLoop();
        try {
            IoRegistration reg = loop.register(r).get(10, TimeUnit.SECONDS);
            loop.submit(() -> {
                r.registration = reg;
                reg.submit(EpollIoOps.EPOLLIN);
                timers.drainFirst(drain);
            }).get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("VRRP socket on " + socket.spec().interfaceName()
                    + " not registered with the event loop: " + e, e);
        }
        return r;
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        context.dispatch(drain); // as Vert.x runs its handlers: the context current, failures reported
    }

    /**
     * Leaves the epoll set and closes the socket, on the loop (so the descriptor number cannot be reused while
     * the loop still watches it); waits at most a second, then closes it anyway.
     */
    @Override
    public void close() {
        IoEventLoop loop = (IoEventLoop) context.nettyEventLoop();
        Runnable leave = () -> {
            timers.drainNoLonger(drain);
            if (registration != null) {
                registration.cancel();
            }
            socket.close();
        };
        if (loop.inEventLoop()) {
            leave.run();
            return;
        }
        try {
            loop.submit(leave).get(1, TimeUnit.SECONDS);
        } catch (Exception e) {
            socket.close(); // the loop is gone (shutdown): its epoll set went with it
        }
    }
}
