package dev.vigil.agent.check;

import java.util.concurrent.CompletableFuture;

/**
 * One kind of check (PostgreSQL, script, ...), run by a {@link CheckRunner}. {@link #run()} returns at once; its future
 * completes within the check's timeout (plus scheduling slack) and never exceptionally: every failure is a failed
 * {@link ProbeResult} with its detail. The blocking work happens on the probe's own threads, never on the caller's.
 */
public interface Probe extends AutoCloseable {

    CompletableFuture<ProbeResult> run();

    @Override
    void close();
}
