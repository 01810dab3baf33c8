package dev.vigil.coordinator.api;

import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * A failover as two agents report it: db1 master of VI_PG (VRID 51) with VIP 10.0.0.10, its
 * pg_primary check fails, its priority drops and it steps down; db2's master-down timer expires
 * 361 ms later and it takes the VIP, 360 ms after db1 removed it.
 */
final class ScriptedFailover {
    static final Instant T0 = Instant.parse("2026-11-25T03:11:00Z");
    static final RouterRef VI_PG = new RouterRef("VI_PG", 51, AddressFamily.IPV4);
    static final String VIP = "10.0.0.10";
    static final String DB1_TOKEN = "db1-token-api-4b1d";
    static final String DB2_TOKEN = "db2-token-api-93ce";
    static final String READ_TOKEN = "reader-token-api-77aa";
    static final Instant FAILED_AT = T0.plusMillis(64_000);
    static final Instant DB1_STEPPED_DOWN = T0.plusMillis(64_100);
    static final Instant DB2_MASTER = T0.plusMillis(64_461);

    private ScriptedFailover() {
    }

    static List<EventEnvelope> db1() {
        return List.of(
                at("db1", 1, 0, new AgentFact.AgentStarted("0.1.0", "db1", 4242)),
                at("db1", 2, 1_000, new AgentFact.RouterStateChanged(VI_PG, RouterState.INIT, RouterState.MASTER,
                        "priority 150 is the highest seen", 150, 150, Optional.empty())),
                at("db1", 3, 1_010, new AgentFact.VipsAdded(VI_PG, List.of(VIP), true, "ok")),
                at("db1", 4, 64_000, new AgentFact.TrackerResultChanged("pg_primary", "script", false,
                        "exit 1: server is not the primary", 3_000_000)),
                at("db1", 5, 64_001, new AgentFact.PriorityChanged(VI_PG, 150, 90, "pg_primary")),
                at("db1", 6, 64_100, new AgentFact.RouterStateChanged(VI_PG, RouterState.MASTER, RouterState.BACKUP,
                        "a higher priority advert (100 from 192.0.2.12) while at 90", 150, 90, Optional.of("192.0.2.12"))),
                at("db1", 7, 64_101, new AgentFact.VipsRemoved(VI_PG, List.of(VIP), true, "ok")));
    }

    static List<EventEnvelope> db2() {
        return List.of(
                at("db2", 1, 500, new AgentFact.AgentStarted("0.1.0", "db2", 777)),
                at("db2", 2, 1_200, new AgentFact.RouterStateChanged(VI_PG, RouterState.INIT, RouterState.BACKUP,
                        "an advert from a higher priority (150 from 192.0.2.11)", 100, 100, Optional.of("192.0.2.11"))),
                at("db2", 3, 64_461, new AgentFact.RouterStateChanged(VI_PG, RouterState.BACKUP, RouterState.MASTER,
                        "master-down timer expired 3.6 s after the last advert from 192.0.2.11", 100, 100,
                        Optional.of("192.0.2.11"))),
                at("db2", 4, 64_461, new AgentFact.VipsAdded(VI_PG, List.of(VIP), true, "ok")));
    }

    static EventEnvelope at(String agent, long seq, long millis, AgentFact f) {
        return new EventEnvelope(agent, agent + "-boot-1", seq, T0.plusMillis(millis), millis * 1_000_000L,
                EnvelopeCodec.CURRENT_SCHEMA, Optional.of("pg-main"), f);
    }
}
