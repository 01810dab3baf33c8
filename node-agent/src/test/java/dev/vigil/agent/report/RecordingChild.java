package dev.vigil.agent.report;

import dev.vigil.agent.config.VigilSettings;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * An agent that only records facts, run as a child JVM so a test can kill it with -9 while it
 * writes and ships. Prints {@code boot <id>} once and {@code durable <seq>} as its outbox fsyncs.
 * Arguments: state dir, coordinator URL, token file, agent id, number of facts.
 */
public final class RecordingChild {
    public static void main(String[] args) throws Exception {
        VigilSettings settings = new VigilSettings(Optional.of(args[3]), "pg-main", Path.of(args[0]),
                List.of(URI.create(args[1])), Optional.of(Path.of(args[2])), Path.of("/nonexistent/agent.sock"));
        OutboxReporting reporting = (OutboxReporting) Reporting.start(settings, args[3], Reporting.Options.defaults());
        System.out.println("boot " + reporting.bootId());
        RouterRef vi = new RouterRef("VI_PG", 51, AddressFamily.IPV4);
        int count = Integer.parseInt(args[4]);
        long printed = 0;
        for (int i = 1; i <= count; i++) {
            reporting.record(new AgentFact.RouterStateChanged(vi, RouterState.BACKUP, RouterState.MASTER,
                    "child transition " + i, 100, 100, Optional.empty()));
            if (i % 20 == 0) {
                Thread.sleep(5);
            }
            long durable = reporting.outbox().lastSeq();
            if (durable > printed) {
                System.out.println("durable " + durable);
                printed = durable;
            }
        }
        while (true) { // wait for the kill
            long durable = reporting.outbox().lastSeq();
            if (durable > printed) {
                System.out.println("durable " + durable);
                printed = durable;
            }
            Thread.sleep(10);
        }
    }
}
