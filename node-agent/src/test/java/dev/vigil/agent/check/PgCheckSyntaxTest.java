package dev.vigil.agent.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PgCheckSyntaxTest {

    private static PgCheckSyntax.Line<Integer> l(int line, String keyword, String... args) {
        return new PgCheckSyntax.Line<>(keyword, List.of(args), line);
    }

    @Test
    void readsEveryKeyword() {
        PgCheckSyntax.Parsed<Integer> p = PgCheckSyntax.read("chk_pg_primary", List.of(
                l(3, "role", "primary"), l(4, "host", "127.0.0.1"), l(5, "port", "5433"), l(6, "dbname", "app"),
                l(7, "user", "vigil"), l(8, "password", "s3cret"), l(9, "query", "select true"),
                l(10, "peers", "192.0.2.12", "192.0.2.13:6432", "[2001:db8::12]:5434", "2001:db8::13")), 1);
        assertThat(p.problems()).isEmpty();
        PgCheckSettings s = p.settings().orElseThrow();
        assertThat(s.role()).isEqualTo(PgRole.PRIMARY);
        assertThat(s.endpoint()).isEqualTo(new PgEndpoint.Tcp("127.0.0.1", 5433));
        assertThat(s.database()).isEqualTo("app");
        assertThat(s.user()).isEqualTo("vigil");
        assertThat(s.password()).contains("s3cret");
        assertThat(s.query()).contains("select true");
        assertThat(s.toString()).doesNotContain("s3cret").contains("password=(set)");
        assertThat(s.peers()).containsExactly(new PgEndpoint.Tcp("192.0.2.12", 5433), new PgEndpoint.Tcp("192.0.2.13", 6432),
                new PgEndpoint.Tcp("2001:db8::12", 5434), new PgEndpoint.Tcp("2001:db8::13", 5433));
    }

    @Test
    void defaultsToTheLocalSocket() {
        PgCheckSyntax.Parsed<Integer> p = PgCheckSyntax.read("chk_pg_replica", List.of(
                l(2, "role", "replica"), l(3, "max_lag_bytes", "16MB"), l(4, "max_lag_time", "5s")), 1);
        PgCheckSettings s = p.settings().orElseThrow();
        assertThat(s.endpoint()).isEqualTo(new PgEndpoint.UnixSocket(Path.of("/var/run/postgresql"), 5432));
        assertThat(((PgEndpoint.UnixSocket) s.endpoint()).socketPath()).isEqualTo(Path.of("/var/run/postgresql/.s.PGSQL.5432"));
        assertThat(s.maxLagBytes()).contains(16L << 20);
        assertThat(s.maxLagTime()).contains(Duration.ofSeconds(5));
        assertThat(s.database()).isEqualTo("postgres");
        assertThat(s.user()).isEqualTo("postgres");
        assertThat(s.password()).isEqualTo(Optional.empty());
    }

    @Test
    void everyProblemNamesItsLineAndField() {
        PgCheckSyntax.Parsed<Integer> p = PgCheckSyntax.read("chk", List.of(
                l(2, "role", "leader"), l(3, "port", "99999"), l(4, "max_lag_bytes", "lots"), l(5, "max_lag_time", "soon"),
                l(6, "dbname", "a", "b"), l(7, "hots", "x"), l(8, "peers", "192.0.2.12:x"), l(9, "role", "primary")), 1);
        assertThat(p.settings()).isEmpty();
        assertThat(p.problems()).containsExactly(
                new PgCheckSyntax.Problem<>(2, "vrrp_script chk pg_check: role 'leader' is not primary, replica or any"),
                new PgCheckSyntax.Problem<>(3, "vrrp_script chk pg_check: port '99999' is not a number in 1..65535"),
                new PgCheckSyntax.Problem<>(4, "vrrp_script chk pg_check: max_lag_bytes 'lots' is not a size (e.g. 16MB, 512kB, 1048576)"),
                new PgCheckSyntax.Problem<>(5, "vrrp_script chk pg_check: max_lag_time 'soon' is not a positive duration (e.g. 5s, 500ms, 0.5)"),
                new PgCheckSyntax.Problem<>(6, "vrrp_script chk pg_check: 'dbname' takes exactly one value, got 2"),
                new PgCheckSyntax.Problem<>(7, "vrrp_script chk pg_check: unknown keyword 'hots' (expected one of role, host, port,"
                        + " dbname, user, password, max_lag_bytes, max_lag_time, query, peers, prefer_least_lag)"),
                new PgCheckSyntax.Problem<>(9, "vrrp_script chk pg_check: 'role' given twice (first at 2)"),
                new PgCheckSyntax.Problem<>(8, "vrrp_script chk pg_check: peer '192.0.2.12:x' is not ADDRESS or ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)"),
                new PgCheckSyntax.Problem<>(8, "vrrp_script chk pg_check: 'peers' guards a primary against a split brain; it needs 'role primary'"));
    }

    @Test
    void lagThresholdsOnAPrimaryCheckAreAMistake() {
        PgCheckSyntax.Parsed<Integer> p = PgCheckSyntax.read("chk", List.of(l(2, "role", "primary"), l(3, "max_lag_time", "5s")), 1);
        assertThat(p.problems()).containsExactly(new PgCheckSyntax.Problem<>(3,
                "vrrp_script chk pg_check: lag thresholds apply to servers in recovery; 'role primary' never has lag"));
    }

    @Test
    void preferLeastLagTakesAStepAndAnOptionalMaximum() {
        PgCheckSettings s = PgCheckSyntax.read("chk", List.of(l(2, "role", "replica"), l(3, "prefer_least_lag", "1MB", "20")), 1)
                .settings().orElseThrow();
        assertThat(s.preferLeastLag()).contains(new LagPreference(1 << 20, 20));
        assertThat(s.toString()).contains("preferLeastLag=1 MB max 20");
        PgCheckSettings d = PgCheckSyntax.read("chk", List.of(l(2, "prefer_least_lag", "512kB")), 1).settings().orElseThrow();
        assertThat(d.preferLeastLag()).contains(new LagPreference(512 << 10, LagPreference.DEFAULT_MAX_PENALTY));
        assertThat(PgCheckSyntax.read("chk", List.of(l(2, "role", "replica")), 1).settings().orElseThrow().preferLeastLag())
                .isEmpty();
    }

    @Test
    void preferLeastLagProblems() {
        PgCheckSyntax.Parsed<Integer> p = PgCheckSyntax.read("chk", List.of(l(2, "prefer_least_lag")), 1);
        assertThat(p.problems()).containsExactly(new PgCheckSyntax.Problem<>(2, "vrrp_script chk pg_check: 'prefer_least_lag'"
                + " takes a step and an optional maximum (e.g. prefer_least_lag 1MB 20), got 0 value(s)"));
        p = PgCheckSyntax.read("chk", List.of(l(2, "prefer_least_lag", "some")), 1);
        assertThat(p.problems()).containsExactly(new PgCheckSyntax.Problem<>(2,
                "vrrp_script chk pg_check: prefer_least_lag step 'some' is not a positive size (e.g. 1MB, 512kB)"));
        p = PgCheckSyntax.read("chk", List.of(l(2, "prefer_least_lag", "0")), 1);
        assertThat(p.problems()).containsExactly(new PgCheckSyntax.Problem<>(2,
                "vrrp_script chk pg_check: prefer_least_lag step '0' is not a positive size (e.g. 1MB, 512kB)"));
        p = PgCheckSyntax.read("chk", List.of(l(2, "prefer_least_lag", "1MB", "300")), 1);
        assertThat(p.problems()).containsExactly(new PgCheckSyntax.Problem<>(2,
                "vrrp_script chk pg_check: prefer_least_lag maximum '300' is not a number in 1..253"));
        p = PgCheckSyntax.read("chk", List.of(l(2, "role", "primary"), l(3, "prefer_least_lag", "1MB")), 1);
        assertThat(p.problems()).containsExactly(new PgCheckSyntax.Problem<>(3,
                "vrrp_script chk pg_check: prefer_least_lag ranks servers in recovery; 'role primary' never has lag"));
    }
}
