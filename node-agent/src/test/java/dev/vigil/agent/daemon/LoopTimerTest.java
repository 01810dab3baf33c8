package dev.vigil.agent.daemon;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.ContextInternal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The re-armable slots on a real event loop (epoll when available, as the agent runs): when they fire, and how often. */
@Timeout(30)
class LoopTimerTest {
    private static final long MS = 1_000_000L;
    private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setPreferNativeTransport(true));
    private final ContextInternal context = (ContextInternal) vertx.getOrCreateContext();
    private final LoopTimer timers = new LoopTimer(context);

    @AfterEach
    void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private void onLoop(Runnable r) throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        context.runOnContext(v -> {
            r.run();
            done.countDown();
        });
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aSlotPushedLaterFiresOnceAtItsLastDeadlineOnTheLoop() throws Exception {
        List<Long> fired = new CopyOnWriteArrayList<>();
        List<Boolean> onContext = new CopyOnWriteArrayList<>();
        long[] deadline = new long[1];
        LoopTimer.Slot[] slot = new LoopTimer.Slot[1];
        onLoop(() -> {
            slot[0] = timers.slot(() -> {
                fired.add(System.nanoTime());
                onContext.add(context.isRunningOnContext());
            });
            slot[0].arm(System.nanoTime() + 20 * MS);
        });
        for (int i = 0; i < 5; i++) { // a backup hearing adverts: the deadline moves later each time
            Thread.sleep(10);
            onLoop(() -> {
                deadline[0] = System.nanoTime() + 40 * MS;
                slot[0].arm(deadline[0]);
            });
        }
        Thread.sleep(300);
        assertThat(fired).hasSize(1);
        assertThat(fired.get(0) - deadline[0]).isGreaterThanOrEqualTo(0);
        assertThat(onContext).containsExactly(true);
    }

    @Test
    void anEarlierDeadlineReplacesALaterOneAndACancelledSlotStaysQuiet() throws Exception {
        List<String> fired = new CopyOnWriteArrayList<>();
        long[] early = new long[1];
        long[] at = new long[1];
        onLoop(() -> {
            LoopTimer.Slot s = timers.slot(() -> {
                at[0] = System.nanoTime();
                fired.add("moved");
            });
            s.arm(System.nanoTime() + 5_000 * MS);
            early[0] = System.nanoTime() + 30 * MS;
            s.arm(early[0]);
            LoopTimer.Slot quiet = timers.slot(() -> fired.add("cancelled"));
            quiet.arm(System.nanoTime() + 10 * MS);
            quiet.cancel();
        });
        Thread.sleep(300);
        assertThat(fired).containsExactly("moved");
        assertThat(at[0] - early[0]).isBetween(0L, 200 * MS);
    }
}
