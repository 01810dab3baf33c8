package dev.vigil.agent.daemon;

import dev.vigil.lab.Capture;
import dev.vigil.lab.Host;
import dev.vigil.lab.HostProcess;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.Segment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.vigil.agent.daemon.AgentLab.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A {@code vrrp_sync_group} in running agents (real processes in NetLab hosts): two hosts run VRID 81 and 82 in one
 * group each; the group-level {@code track_interface} going down on the master faults both instances, both VIPs
 * move to the other host together (hosts' addresses and the wire), and the recovery preempts both back.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AgentSyncGroupIT {
    static final double INTERVAL = 0.2;

    @RegisterExtension
    final NetLab lab = NetLab.extension();

    String conf(int priority, String vip1, String vip2, String groupExtra) {
        return instance(81, priority, 3, "0.2", "", vip1 + "/24") + instance(82, priority, 3, "0.2", "", vip2 + "/24")
                + """
                vrrp_sync_group G {
                  group {
                    VI_81
                    VI_82
                  }
                  %s
                }
                """.formatted(groupExtra);
    }

    @Test
    void aGroupTrackerDownOnTheMasterMovesBothVipsAndRecoveryBringsBothBack() throws IOException {
        Segment seg = lab.segment("vrrp");
        Segment other = lab.segment("other");
        Host a = lab.host("a", seg, other);
        Host b = lab.host("b", seg);
        String vip1 = seg.ip4(101);
        String vip2 = seg.ip4(102);
        String tracked = a.ifname(other);
        Path log = lab.workDir().resolve("group-notify.log");
        Path note = lab.workDir().resolve("note.sh");
        Files.writeString(note, "#!/bin/sh\necho \"$*\" >> " + log + "\n");
        Files.setPosixFilePermissions(note, PosixFilePermissions.fromString("rwxr-xr-x"));

        Capture wire = lab.capture(seg);
        HostProcess agentA = startAgent(lab, a, conf(150, vip1, vip2,
                "track_interface {\n    " + tracked + "\n  }\n  notify \"" + note + "\""));
        HostProcess agentB = startAgent(lab, b, conf(100, vip1, vip2, ""));
        agentA.awaitLog("VRRP_Group(G) Syncing instances to MASTER state", Duration.ofSeconds(30));
        agentB.awaitLog("(VI_82) Entering BACKUP STATE", Duration.ofSeconds(30));
        awaitHolds(a, vip1, true, Duration.ofSeconds(5));
        awaitHolds(a, vip2, true, Duration.ofSeconds(5));

        double faultAt = nowEpoch();
        a.exec("ip", "link", "set", tracked, "down").orThrow();
        agentA.awaitLog("VRRP_Group(G) Syncing instances to FAULT state", Duration.ofSeconds(5));
        awaitHolds(b, vip1, true, Duration.ofSeconds(5));
        awaitHolds(b, vip2, true, Duration.ofSeconds(5));
        awaitHolds(a, vip1, false, Duration.ofSeconds(5));
        awaitHolds(a, vip2, false, Duration.ofSeconds(5));
        assertThat(agentA.log()).contains("(VI_81) Entering FAULT STATE").contains("(VI_82) Entering FAULT STATE");
        assertThat(agentB.log()).contains("VRRP_Group(G) Syncing instances to MASTER state");

        double recoverAt = nowEpoch();
        a.exec("ip", "link", "set", tracked, "up").orThrow();
        awaitHolds(a, vip1, true, Duration.ofSeconds(10)); // BACKUP, then preempts the lower priority
        awaitHolds(a, vip2, true, Duration.ofSeconds(10));
        awaitHolds(b, vip1, false, Duration.ofSeconds(5));
        awaitHolds(b, vip2, false, Duration.ofSeconds(5));
        // one of b's instances was preempted, the other followed it
        agentB.awaitLog("sync group G follows VI_8", Duration.ofSeconds(5));
        AgentFailoverIT.sleep(1000); // a steady second for the wire check
        double stopAt = nowEpoch();
        assertThat(agentA.stop(Duration.ofSeconds(5))).isZero();
        assertThat(agentB.stop(Duration.ofSeconds(5))).isZero();
        wire.stop();

        for (int vrid : List.of(81, 82)) {
            List<WireAdvert> adverts = adverts(wire, vrid);
            // a resigned both with priority 0; b took both over within Skew_Time (plus scheduling slack)
            double resigned = adverts.stream().filter(x -> x.source().equals(a.address()) && x.priority() == 0
                    && x.time() >= faultAt && x.time() < recoverAt).mapToDouble(WireAdvert::time).min().orElseThrow();
            double tookOver = adverts.stream().filter(x -> x.source().equals(b.address()) && x.time() > resigned)
                    .mapToDouble(WireAdvert::time).min().orElseThrow();
            assertThat(tookOver - resigned).as("VRID %d takeover after the priority-0 advert", vrid)
                    .isLessThan(skewSeconds(INTERVAL, 100) + SLACK_SECONDS);
            // b gave both back without resigning: keepalived's vrrp_sync_backup sends no priority-0 advert
            assertThat(adverts).as("VRID %d: b never sent priority 0 before stopping", vrid)
                    .noneMatch(x -> x.source().equals(b.address()) && x.priority() == 0 && x.time() < stopAt);
            assertThat(adverts.stream().filter(x -> x.time() > stopAt - 0.8 && x.time() < stopAt)
                    .map(WireAdvert::source).distinct().toList()).as("VRID %d master after recovery", vrid)
                    .containsExactly(a.address());
        }
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                .until(() -> Files.exists(log) && Files.readAllLines(log).contains("GROUP G STOP 0"));
        assertThat(Files.readAllLines(log)).containsExactly("GROUP G BACKUP 0", "GROUP G MASTER 0", "GROUP G FAULT 0",
                "GROUP G BACKUP 0", "GROUP G MASTER 0", "GROUP G STOP 0");
    }
}
