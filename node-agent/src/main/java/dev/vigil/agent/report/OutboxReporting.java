package dev.vigil.agent.report;

import dev.vigil.model.AgentFact;

/** Reporting through the durable outbox and its shipper. */
final class OutboxReporting implements Reporting {
    private final Outbox outbox;
    private final Shipper shipper;
    private final long closeGraceMillis;

    OutboxReporting(Outbox outbox, Shipper shipper, long closeGraceMillis) {
        this.outbox = outbox;
        this.shipper = shipper;
        this.closeGraceMillis = closeGraceMillis;
    }

    @Override
    public void record(AgentFact fact) {
        outbox.record(fact);
    }

    /** For tests and metrics in this package: the outbox behind this reporting. */
    Outbox outbox() {
        return outbox;
    }

    @Override
    public String bootId() {
        return outbox.identity().bootId();
    }

    @Override
    public void close() {
        outbox.close(5_000);
        shipper.stop(closeGraceMillis);
    }
}
