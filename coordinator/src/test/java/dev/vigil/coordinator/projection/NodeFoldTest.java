package dev.vigil.coordinator.projection;

import dev.vigil.coordinator.projection.NodeFold.Node;
import dev.vigil.model.AddressFamily;
import dev.vigil.model.AgentFact;
import dev.vigil.model.EventEnvelope;
import dev.vigil.model.RouterRef;
import dev.vigil.model.RouterState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(10)
class NodeFoldTest {
    private static final Instant T0 = Instant.parse("2026-11-26T03:00:00Z");
    private static final RouterRef VI = new RouterRef("VI_PG", 51, AddressFamily.IPV4);
    private static final NodeFold.RouterId VI_ID = new NodeFold.RouterId("VI_PG", 51, "IPV4");

    private static NodeFold.Fact fact(long index, String boot, long seq, long second, AgentFact f) {
        return new NodeFold.Fact("db1", index, "h" + index, new EventEnvelope("db1", boot, seq, T0.plusSeconds(second),
                0, 1, Optional.of("pg"), f));
    }

    private static Node fold(List<NodeFold.Fact> facts) {
        Optional<Node> n = Optional.empty();
        for (NodeFold.Fact f : facts) {
            n = Optional.of(NodeFold.apply(n, f));
        }
        return n.orElseThrow();
    }

    private static AgentFact state(RouterState from, RouterState to) {
        return new AgentFact.RouterStateChanged(VI, from, to, "why", 100, 100, Optional.empty());
    }

    @Test
    void keepsTheLatestBootRouterStateAndTrackerResult() {
        Node n = fold(List.of(
                fact(0, "b1", 1, 0, new AgentFact.AgentStarted("1", "db1", 1)),
                fact(1, "b1", 2, 1, state(RouterState.INIT, RouterState.MASTER)),
                fact(2, "b1", 3, 2, new AgentFact.TrackerResultChanged("pg", "script", false, "down", 1)),
                fact(3, "b2", 1, 10, new AgentFact.AgentStarted("1", "db1", 2)),
                fact(4, "b2", 2, 11, state(RouterState.INIT, RouterState.BACKUP))));
        assertThat(n.bootId()).isEqualTo("b2");
        assertThat(n.bootedAt()).isEqualTo(T0.plusSeconds(10));
        assertThat(n.lastSeq()).isEqualTo(2);
        assertThat(n.lastSeen()).isEqualTo(T0.plusSeconds(11));
        assertThat(n.chainLength()).isEqualTo(5);
        assertThat(n.chainHead()).isEqualTo("h4");
        assertThat(n.routers()).containsExactly(java.util.Map.entry(VI_ID, new NodeFold.RouterLast("BACKUP", T0.plusSeconds(11))));
        assertThat(n.trackers().get("pg")).isEqualTo(new NodeFold.TrackerLast("script", false, T0.plusSeconds(2)));
    }

    @Test
    void aLateBatchOfAnOldBootDoesNotFlipTheNodeBack() {
        Node n = fold(List.of(
                fact(0, "b2", 1, 10, state(RouterState.INIT, RouterState.MASTER)),
                fact(1, "b1", 7, 5, state(RouterState.MASTER, RouterState.BACKUP))));
        assertThat(n.bootId()).isEqualTo("b2");
        assertThat(n.lastSeq()).isEqualTo(1);
        assertThat(n.routers().get(VI_ID).state()).isEqualTo("MASTER");
        assertThat(n.chainLength()).isEqualTo(2);
        assertThat(n.chainHead()).isEqualTo("h1");
    }

    @Test
    void aRedeliveredFactChangesNothing() {
        List<NodeFold.Fact> facts = List.of(
                fact(0, "b1", 1, 0, state(RouterState.INIT, RouterState.MASTER)),
                fact(1, "b1", 2, 1, state(RouterState.MASTER, RouterState.FAULT)));
        Node once = fold(facts);
        assertThat(NodeFold.apply(Optional.of(once), facts.get(0))).isEqualTo(once);
        assertThat(NodeFold.apply(Optional.of(once), facts.get(1))).isEqualTo(once);
    }
}
