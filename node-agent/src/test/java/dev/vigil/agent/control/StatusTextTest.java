package dev.vigil.agent.control;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The dumps and the vigilctl table from one status; the JSON reads back as written. */
@Timeout(30)
class StatusTextTest {
    static final AgentStatus STATUS = new AgentStatus("db1", 42, "/etc/keepalived/keepalived.conf", "ab12", "2026-11-26T00:00:00Z",
            2, 1, List.of(
            new InstanceStatus("VI_1", "MASTER", "eth0", 51, "IPv4", 3, 150, 150, 20, "192.0.2.11", 150,
                    List.of("192.0.2.100/24 dev eth0"), false, 3, 1200, 1, 0, 0, 0, Map.of()),
            new InstanceStatus("VI_2", "BACKUP", "eth0", 52, "IPv4", 2, 100, 80, 100, "192.0.2.12", 150,
                    List.of("192.0.2.101/24 dev eth0", "192.0.2.102/24 dev eth0"), true, 900, 0, 0, 0, 1, 0,
                    Map.of("AUTH_FAILURE", 4L))),
            Map.of("script chk_pg", "ok"),
            new ReportingStatus(List.of("https://coord:7741"), 120, 100, "2026-11-26T00:10:00Z", 12.5));

    @Test
    void theStateDumpHasKeepalivedsLabels() {
        String d = StatusText.data(STATUS);
        assertThat(d).contains("------< VRRP Topology >------", " VRRP Instance = VI_1", "   State = MASTER",
                "   Virtual Router ID = 52", "   Effective priority = 80", "   Advert interval = 200 milli-sec",
                "     192.0.2.102/24 dev eth0", " script chk_pg = ok", " Reloads = 2, refused = 1",
                " Reporting = coordinator https://coord:7741: 120 recorded, 100 acknowledged, 20 pending"
                        + " (unacknowledged for 12.5 s), last ack 2026-11-26T00:10:00Z");
    }

    @Test
    void theStatisticsHaveKeepalivedsLabels() {
        String s = StatusText.stats(STATUS);
        assertThat(s).contains("VRRP Instance: VI_2\n  Advertisements:\n    Received: 900\n    Sent: 0\n")
                .contains("    AUTH_FAILURE: 4").contains("  Priority Zero:\n    Received: 1\n");
    }

    @Test
    void theTableHasOneAlignedLinePerInstance() {
        List<String> lines = StatusText.table(STATUS).lines().toList();
        assertThat(lines).hasSize(5);
        assertThat(lines.get(1)).isEqualTo("coordinator https://coord:7741: 120 recorded, 100 acknowledged, 20 pending"
                + " (unacknowledged for 12.5 s), last ack 2026-11-26T00:10:00Z");
        assertThat(lines.get(2)).startsWith("INSTANCE  STATE   INTERFACE  VRID  PRIO  EFFECTIVE  MASTER      VIPS");
        assertThat(lines.get(4)).isEqualTo("VI_2      BACKUP  eth0       52    100   80         192.0.2.12  192.0.2.101/24,192.0.2.102/24");
    }

    @Test
    void anAgentWithoutACoordinatorSaysWhereFactsGo() {
        assertThat(new ReportingStatus(List.of(), 7, 0, "never", 3).line())
                .isEqualTo("coordinator: none configured (facts go to the log only), 7 fact(s) recorded");
        assertThat(new ReportingStatus(List.of("http://c:1"), 7, 7, "2026-11-26T00:10:00Z", 0).line())
                .isEqualTo("coordinator http://c:1: 7 recorded, 7 acknowledged, 0 pending, last ack 2026-11-26T00:10:00Z");
    }

    @Test
    void jsonFromAnAgentWithoutReportingStillReads() throws Exception {
        String older = StatusJson.write(STATUS).replaceAll("(?s),\\s*\"reporting\"\\s*:\\s*\\{[^}]*}", "");
        assertThat(older).doesNotContain("reporting");
        assertThat(StatusJson.read(older).reporting()).isEqualTo(ReportingStatus.UNKNOWN);
    }

    @Test
    void jsonReadsBackAsWritten() throws Exception {
        assertThat(StatusJson.read(StatusJson.write(STATUS))).isEqualTo(STATUS);
    }
}
