package dev.vigil.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.agent.check.PgEndpoint;
import dev.vigil.agent.check.PgRole;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code pg_check { }} inside a vrrp_script: read into the script, and every mistake reported as file:line. */
@Timeout(30)
class PgCheckConfigTest {

    @TempDir
    Path dir;

    private ConfigResult parse(String text) throws Exception {
        Path f = dir.resolve("k.conf");
        Files.writeString(f, text);
        return KeepalivedConfigParser.parse(f, Optional.of("test"), name -> true);
    }

    private static final String INSTANCE = """
            vrrp_instance WRITE {
                interface eth0
                virtual_router_id 51
                priority 100
                virtual_ipaddress {
                    192.0.2.100/24
                }
                track_script {
                    chk_pg
                }
            }
            """;

    @Test
    void pgCheckBecomesPartOfTheScript() throws Exception {
        ConfigResult r = parse("""
                vrrp_script chk_pg {
                    pg_check {
                        role primary
                        host 127.0.0.1
                        port 5433
                        peers 192.0.2.12 192.0.2.13
                    }
                    interval 0.2
                    timeout 1
                    fall 2
                }
                """ + INSTANCE);
        assertThat(r).isInstanceOf(ConfigResult.Valid.class);
        VrrpScript s = ((ConfigResult.Valid) r).config().script("chk_pg").orElseThrow();
        assertThat(s.script()).isEmpty();
        assertThat(s.interval()).isEqualTo(Duration.ofMillis(200));
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.fall()).isEqualTo(2);
        assertThat(s.pgCheck()).hasValueSatisfying(pg -> {
            assertThat(pg.role()).isEqualTo(PgRole.PRIMARY);
            assertThat(pg.endpoint()).isEqualTo(new PgEndpoint.Tcp("127.0.0.1", 5433));
            assertThat(pg.peers()).containsExactly(new PgEndpoint.Tcp("192.0.2.12", 5433), new PgEndpoint.Tcp("192.0.2.13", 5433));
        });
    }

    @Test
    void mistakesInsideTheBlockAreReportedAtTheirLines() throws Exception {
        ConfigResult r = parse("""
                vrrp_script chk_pg {
                    pg_check {
                        role leader
                        max_lag_bytes lots
                    }
                }
                vrrp_script chk_both {
                    script "/bin/true"
                    pg_check {
                        role any
                    }
                }
                vrrp_script chk_none {
                    interval 1
                }
                """ + INSTANCE);
        assertThat(r).isInstanceOf(ConfigResult.Invalid.class);
        List<String> errors = r.findings().stream().filter(Finding::isError).map(Finding::format).toList();
        assertThat(errors).contains(
                dir.resolve("k.conf") + ":3: error: vrrp_script chk_pg pg_check: role 'leader' is not primary, replica or any",
                dir.resolve("k.conf") + ":4: error: vrrp_script chk_pg pg_check: max_lag_bytes 'lots' is not a size (e.g. 16MB, 512kB, 1048576)",
                dir.resolve("k.conf") + ":7: error: vrrp_script chk_both: give either 'script' or 'pg_check', not both",
                dir.resolve("k.conf") + ":13: error: vrrp_script chk_none: no 'script' given");
    }
}
