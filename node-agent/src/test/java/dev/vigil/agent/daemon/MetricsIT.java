package dev.vigil.agent.daemon;

import dev.vigil.agent.ops.RouterMetrics;
import dev.vigil.lab.ExecResult;
import dev.vigil.lab.Host;
import dev.vigil.lab.HostProcess;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.Requirements;
import dev.vigil.lab.Segment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.vigil.agent.daemon.AgentLab.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two agents in namespaces with {@code --metrics-listen}: each endpoint is scraped with curl inside its host and
 * shows keepalived-exporter's names with the right values (state per VIP, adverts sent by the master and
 * received by the backup, transitions, a vrrp_script's status), and the failover shows in the counters.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MetricsIT {
    static final int VRID = 81;

    @RegisterExtension
    final NetLab lab = NetLab.extension();

    @Test
    void aRunningAgentIsScrapedUnderKeepalivedExporterNames() throws Exception {
        Requirements.requireCommand("curl");
        Segment seg = lab.segment("vrrp");
        Host a = lab.host("a", seg);
        Host b = lab.host("b", seg);
        String vip = seg.ip4(100);
        String script = """
                vrrp_script chk_ok {
                  script "/bin/true"
                  interval 0.2
                }
                """;
        HostProcess agentA = start(a, script + instance(VRID, 150, 3, "0.2", "track_script {\n    chk_ok\n  }", vip + "/24"));
        agentA.awaitLog("(VI_81) Entering MASTER STATE", Duration.ofSeconds(30));
        HostProcess agentB = start(b, instance(VRID, 100, 3, "0.2", "", vip + "/24"));
        agentB.awaitLog("(VI_81) Entering BACKUP STATE", Duration.ofSeconds(30));
        agentA.awaitLog("metrics on http://127.0.0.1:9650/metrics", Duration.ofSeconds(5));

        String labels = "iname=\"VI_81\",intf=\"eth0\",";
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String m = scrape(a);
            assertThat(m).contains("keepalived_up 1.0")
                    .contains("keepalived_vrrp_state{iname=\"VI_81\",intf=\"eth0\",ip_address=\"" + vip + "\",vrid=\"81\"} 2.0")
                    .contains("keepalived_become_master_total{" + labels + "state=\"MASTER\",vrid=\"81\"} 1.0")
                    .contains("keepalived_script_status{name=\"chk_ok\"} 1.0")
                    .contains("vigil_vrrp_transitions_total{from=\"BACKUP\",iname=\"VI_81\",to=\"MASTER\",vrid=\"81\"} 1.0")
                    .contains("vigil_vrrp_priority{family=\"IPV4\",iname=\"VI_81\",kind=\"base\",vrid=\"81\"} 150.0");
            assertThat(value(m, "keepalived_advertisements_sent_total\\{" + labels + "state=\"MASTER\",vrid=\"81\"}")).isGreaterThan(5);
            for (String name : RouterMetrics.names()) {
                assertThat(m).as(name).containsPattern("(?m)^" + name + "(_total)?[{ ]");
            }
            String mb = scrape(b);
            assertThat(mb).contains("keepalived_vrrp_state{iname=\"VI_81\",intf=\"eth0\",ip_address=\"" + vip + "\",vrid=\"81\"} 1.0");
            assertThat(value(mb, "keepalived_advertisements_received_total\\{" + labels + "state=\"BACKUP\",vrid=\"81\"}")).isGreaterThan(5);
        });

        agentA.signal("TERM"); // a resigns with priority 0: b counts it and becomes master
        agentB.awaitLog("(VI_81) Entering MASTER STATE", Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            String mb = scrape(b);
            assertThat(mb).contains("keepalived_vrrp_state{iname=\"VI_81\",intf=\"eth0\",ip_address=\"" + vip + "\",vrid=\"81\"} 2.0")
                    .contains("keepalived_priority_zero_received_total{" + labels + "state=\"MASTER\",vrid=\"81\"} 1.0")
                    .contains("keepalived_become_master_total{" + labels + "state=\"MASTER\",vrid=\"81\"} 1.0");
        });
    }

    private HostProcess start(Host host, String config) throws Exception {
        Path file = writeConfig(lab, host.name() + "-metrics", config);
        return host.start("java", "-Xms24m", "-Xmx48m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", classPath(), "dev.vigil.agent.AgentMain", "-n", "-l", "--metrics-listen", "127.0.0.1:9650",
                "-f", file.toString());
    }

    private static String scrape(Host h) {
        ExecResult r = h.exec(Duration.ofSeconds(10), "curl", "-sS", "--max-time", "5", "http://127.0.0.1:9650/metrics");
        assertThat(r.ok()).as("curl: %s", r.stderr()).isTrue();
        return r.stdout();
    }

    private static double value(String text, String seriesRegex) {
        Matcher m = Pattern.compile("(?m)^" + seriesRegex + " (\\S+)$").matcher(text);
        assertThat(m.find()).as("series %s in%n%s", seriesRegex, text).isTrue();
        return Double.parseDouble(m.group(1));
    }
}
