package dev.vigil.agent.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PgVerdictTest {

    private static final long SYSID = 7_300_000_000_000_000_001L;
    private static final PgEndpoint PEER_12 = new PgEndpoint.Tcp("192.0.2.12", 5432);
    private static final PgEndpoint PEER_13 = new PgEndpoint.Tcp("192.0.2.13", 5433);

    private static PgObservation primary(long timeline) {
        return new PgObservation(false, false, timeline, SYSID, false, Optional.empty(), Optional.empty(), Optional.empty());
    }

    private static PgObservation replica(long behindBytes, Duration behindTime) {
        return new PgObservation(true, true, 1, SYSID, true, Optional.of(behindBytes), Optional.of(behindTime), Optional.empty());
    }

    private static PgVerdict.Verdict judge(PgCheckSettings s, PgObservation o) {
        return PgVerdict.judge(s, o, List.of());
    }

    @Test
    void primaryRole() {
        PgCheckSettings s = PgCheckSettings.of(PgRole.PRIMARY);
        assertThat(judge(s, primary(2))).isEqualTo(new PgVerdict.Verdict(true, "primary on timeline 2"));
        assertThat(judge(s, replica(0, Duration.ZERO))).isEqualTo(new PgVerdict.Verdict(false, "in recovery"));
        PgObservation readOnly = new PgObservation(false, true, 1, SYSID, false, Optional.empty(), Optional.empty(), Optional.empty());
        assertThat(judge(s, readOnly)).isEqualTo(new PgVerdict.Verdict(false, "not accepting writes (transaction_read_only is on)"));
    }

    @Test
    void replicaRole() {
        PgCheckSettings s = PgCheckSettings.of(PgRole.REPLICA);
        assertThat(judge(s, primary(1))).isEqualTo(new PgVerdict.Verdict(false, "not in recovery"));
        PgObservation notStreaming = new PgObservation(true, true, 1, SYSID, false, Optional.of(0L), Optional.of(Duration.ZERO), Optional.empty());
        assertThat(judge(s, notStreaming)).isEqualTo(new PgVerdict.Verdict(false, "no WAL receiver (not streaming)"));
        assertThat(judge(s, replica(0, Duration.ZERO))).isEqualTo(new PgVerdict.Verdict(true, "replica streaming, replay lag 0 B"));
    }

    @Test
    void lagInBytesAndTime() {
        PgCheckSettings s = PgCheckSettings.of(PgRole.REPLICA).withMaxLagBytes(16L << 20).withMaxLagTime(Duration.ofSeconds(5));
        assertThat(judge(s, replica(48L << 20, Duration.ofSeconds(1))))
                .isEqualTo(new PgVerdict.Verdict(false, "replay lag 48 MB > 16 MB"));
        assertThat(judge(s, replica(4096, Duration.ofMillis(12_400))))
                .isEqualTo(new PgVerdict.Verdict(false, "replay lag 12.4 s > 5 s"));
        assertThat(judge(s, replica(4096, Duration.ofMillis(300))))
                .isEqualTo(new PgVerdict.Verdict(true, "replica streaming, replay lag 4 kB / 300 ms"));
        // exactly at the threshold is still healthy
        assertThat(judge(s, replica(16L << 20, Duration.ofSeconds(5))).passed()).isTrue();
    }

    @Test
    void anyRoleStillAppliesLagToServersInRecovery() {
        PgCheckSettings s = PgCheckSettings.of(PgRole.ANY).withMaxLagBytes(1024);
        assertThat(judge(s, primary(3)).passed()).isTrue();
        assertThat(judge(s, replica(2048, Duration.ZERO))).isEqualTo(new PgVerdict.Verdict(false, "replay lag 2 kB > 1 kB"));
    }

    @Test
    void customQuery() {
        PgCheckSettings s = PgCheckSettings.of(PgRole.ANY).withQuery("select false");
        assertThat(judge(s, primary(1).withQueryResult(new PgObservation.QueryResult.Returned(false))))
                .isEqualTo(new PgVerdict.Verdict(false, "query returned false"));
        assertThat(judge(s, primary(1).withQueryResult(new PgObservation.QueryResult.NoRow())))
                .isEqualTo(new PgVerdict.Verdict(false, "query returned no row"));
        assertThat(judge(s, primary(1).withQueryResult(new PgObservation.QueryResult.Failed("ERROR: relation \"t\" does not exist"))))
                .isEqualTo(new PgVerdict.Verdict(false, "query failed: ERROR: relation \"t\" does not exist"));
        assertThat(judge(s, primary(1).withQueryResult(new PgObservation.QueryResult.Returned(true))).passed()).isTrue();
    }

    @Test
    void splitBrainGuardBlocksTheLowerTimeline() {
        PgCheckSettings s = PgCheckSettings.of(PgRole.PRIMARY).withPeers(List.of(PEER_12));
        PgVerdict.Verdict v = PgVerdict.judge(s, primary(1), List.of(new PeerObservation.Answered(PEER_12, false, 2, SYSID)));
        assertThat(v).isEqualTo(new PgVerdict.Verdict(false, "peer 192.0.2.12 is primary on timeline 2 > ours 1"));
    }

    @Test
    void splitBrainGuardLetsTheNewerPrimaryThroughAndSaysWhy() {
        PgCheckSettings s = PgCheckSettings.of(PgRole.PRIMARY).withPeers(List.of(PEER_12, PEER_13));
        PgVerdict.Verdict v = PgVerdict.judge(s, primary(2), List.of(
                new PeerObservation.Answered(PEER_12, false, 1, SYSID),
                new PeerObservation.Unreachable(PEER_13, "connection refused (192.0.2.13:5433)")));
        assertThat(v.passed()).isTrue();
        assertThat(v.detail()).isEqualTo("primary on timeline 2; peer 192.0.2.12 is a stale primary on timeline 1;"
                + " peer 192.0.2.13:5433 unreachable (connection refused (192.0.2.13:5433)), not blocking");
    }

    @Test
    void splitBrainGuardIgnoresStandbysAndOtherClusters() {
        PgCheckSettings s = PgCheckSettings.of(PgRole.PRIMARY).withPeers(List.of(PEER_12, PEER_13));
        PgVerdict.Verdict v = PgVerdict.judge(s, primary(1), List.of(
                new PeerObservation.Answered(PEER_12, true, 5, SYSID),
                new PeerObservation.Answered(PEER_13, false, 9, 42)));
        assertThat(v.passed()).isTrue();
        assertThat(v.detail()).isEqualTo("primary on timeline 1; peer 192.0.2.13:5433 is another cluster (system identifier 42), ignored");
    }
}
