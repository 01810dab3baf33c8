package dev.vigil.agent.daemon;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.ContextInternal;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
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

    @Test
    void onTheEpollTransportTheDeadlinesWaitOnATimerfd() {
        org.junit.jupiter.api.Assumptions.assumeTrue(vertx.isNativeTransportEnabled(), "no native transport here");
        assertThat(timers.onTimerFd()).isTrue();
    }

    @Test
    void manySlotsArmedPushedAndCancelledEachFireOnceNoEarlierThanTheirLastDeadline() throws Exception {
        int n = 300;
        Random random = new Random(42);
        long[] deadline = new long[n];
        boolean[] cancelled = new boolean[n];
        long[] firedAt = new long[n];
        int[] fires = new int[n];
        List<LoopTimer.Slot> slots = new ArrayList<>();
        onLoop(() -> {
            long now = System.nanoTime();
            for (int i = 0; i < n; i++) {
                int k = i;
                LoopTimer.Slot s = timers.slot(() -> {
                    fires[k]++;
                    firedAt[k] = System.nanoTime();
                });
                slots.add(s);
                // at least 200 ms ahead: the re-arming below must come before any first deadline, even when this
                // thread's 10 ms sleep overruns on a loaded machine (it failed once at load 7 with 20 ms)
                deadline[i] = now + (200 + random.nextInt(200)) * MS;
                s.arm(deadline[i]);
            }
        });
        Thread.sleep(10);
        onLoop(() -> { // earlier, later, cancelled, as routers do
            long now = System.nanoTime();
            for (int i = 0; i < n; i++) {
                switch (i % 4) {
                    case 0 -> deadline[i] = now + (5 + random.nextInt(30)) * MS;
                    case 1 -> deadline[i] = deadline[i] + random.nextInt(100) * MS;
                    case 2 -> cancelled[i] = true;
                    default -> { continue; }
                }
                if (cancelled[i]) {
                    slots.get(i).cancel();
                } else {
                    slots.get(i).arm(deadline[i]);
                }
            }
        });
        Thread.sleep(1_000);
        int[] seen = new int[n];
        long[] at = new long[n];
        onLoop(() -> {
            System.arraycopy(fires, 0, seen, 0, n);
            System.arraycopy(firedAt, 0, at, 0, n);
        });
        for (int i = 0; i < n; i++) {
            assertThat(seen[i]).as("slot %d fires", i).isEqualTo(cancelled[i] ? 0 : 1);
            if (!cancelled[i]) {
                assertThat(at[i] - deadline[i]).as("slot %d late by", i).isBetween(0L, 300 * MS);
            }
        }
    }

    @Test
    void aSlotReArmedByItsOwnTaskKeepsFiring() throws Exception {
        List<Long> fired = new CopyOnWriteArrayList<>();
        LoopTimer.Slot[] slot = new LoopTimer.Slot[1];
        onLoop(() -> {
            slot[0] = timers.slot(() -> {
                fired.add(System.nanoTime());
                if (fired.size() < 10) {
                    slot[0].arm(System.nanoTime() + 5 * MS); // a master's advert timer
                }
            });
            slot[0].arm(System.nanoTime() + 5 * MS);
        });
        Thread.sleep(500);
        assertThat(fired).hasSize(10);
        for (int i = 1; i < fired.size(); i++) {
            assertThat(fired.get(i) - fired.get(i - 1)).isGreaterThanOrEqualTo(5 * MS);
        }
    }

    /**
     * A deadline already past when armed fires at once. Netty's own timerfd mode disarmed its timerfd when handed a
     * zero delay (timerfd_settime with a zero it_value disarms) and then waited for the next I/O event.
     */
    @Test
    void aDeadlineAlreadyPastFiresAtOnce() throws Exception {
        CountDownLatch fired = new CountDownLatch(3);
        onLoop(() -> {
            long now = System.nanoTime();
            timers.slot(fired::countDown).arm(now - 5 * MS);
            timers.slot(fired::countDown).arm(now);
            timers.slot(fired::countDown).arm(0);
        });
        assertThat(fired.await(1, TimeUnit.SECONDS)).isTrue();
    }

    /**
     * A loop held up past a deadline (a GC pause) must first read the adverts that came meanwhile: the drains run
     * before a slot found late, and a deadline they push is not fired.
     */
    @Test
    void aSlotFoundLateWaitsForTheDrainsThatMayPushIt() throws Exception {
        Assumptions.assumeTrue(timers.onTimerFd(), "drains run on the timerfd path only");
        List<String> events = new CopyOnWriteArrayList<>();
        LoopTimer.Slot[] slot = new LoopTimer.Slot[1];
        long[] pushedTo = new long[1];
        long[] firedAt = new long[1];
        Runnable drain = () -> {
            events.add("drain");
            if (pushedTo[0] == 0) { // the advert that waited in the socket
                pushedTo[0] = System.nanoTime() + 40 * MS;
                slot[0].arm(pushedTo[0]);
            }
        };
        onLoop(() -> {
            timers.drainFirst(drain);
            slot[0] = timers.slot(() -> {
                firedAt[0] = System.nanoTime();
                events.add("fired");
            });
            slot[0].arm(System.nanoTime() + 5 * MS);
            sleepQuietly(30); // the loop held up well past the deadline
        });
        Thread.sleep(300);
        onLoop(() -> timers.drainNoLonger(drain));
        // a busy host may find the pushed deadline late too: drained again then, still fired once
        assertThat(events).startsWith("drain").endsWith("fired");
        assertThat(events).containsOnlyOnce("fired");
        assertThat(firedAt[0] - pushedTo[0]).isGreaterThanOrEqualTo(0);
    }

    @Test
    void theWarmUpRunsItsWakeUpsThenLeavesNothingArmed() throws Exception {
        int rounds = timers.warmUp(200);
        assertThat(rounds).isEqualTo(timers.onTimerFd() ? 200 : 0);
        CountDownLatch fired = new CountDownLatch(1); // and the slots still work afterwards
        onLoop(() -> timers.slot(fired::countDown).arm(System.nanoTime() + MS));
        assertThat(fired.await(1, TimeUnit.SECONDS)).isTrue();
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
