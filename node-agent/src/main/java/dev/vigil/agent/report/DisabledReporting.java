package dev.vigil.agent.report;

import dev.vigil.model.AgentFact;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.UUID;

/** No coordinator configured: the agent runs as before, and its facts go to the log only. */
final class DisabledReporting implements Reporting {
    private static final Logger LOG = LoggerFactory.getLogger(Reporting.class);
    private final String bootId = UUID.randomUUID().toString();

    DisabledReporting() {
        LOG.info("no coordinator configured: facts are kept nowhere but the log");
    }

    @Override
    public void record(AgentFact fact) {
        LOG.info("fact: {}", fact);
    }

    @Override
    public String bootId() {
        return bootId;
    }

    @Override
    public void close() {
        // nothing to flush
    }
}
