package dev.vigil.agent.daemon;

import dev.vigil.lab.Host;
import dev.vigil.lab.HostProcess;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.Segment;
import org.junit.jupiter.api.BeforeEach;
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
 * Trackers and notify scripts in running agents (real processes in NetLab hosts): a failing weighted
 * {@code vrrp_script} moves mastership and its recovery brings it back, a weight-0 {@code track_interface} going
 * down faults the master, and keepalived's notify scripts run in transition order with keepalived's arguments.
 */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AgentTrackingIT {
    static final int VRID = 71;

    @RegisterExtension
    final NetLab lab = NetLab.extension();
    Segment seg;
    Host a, b;
    String vip;

    @BeforeEach
    void hosts() {
        seg = lab.segment("vrrp");
        vip = seg.ip4(100);
    }

    String conf(int priority, String extra, String before) {
        return before + instance(VRID, priority, 3, "0.2", extra, vip + "/24");
    }

    @Test
    void aFailingWeightedScriptOnTheMasterMovesTheVipAndItsRecoveryBringsItBack() throws IOException {
        a = lab.host("a", seg);
        b = lab.host("b", seg);
        Path flag = lab.workDir().resolve("a-unhealthy");
        String script = """
                vrrp_script chk_flag {
                  script "/usr/bin/test ! -e %s"
                  interval 0.2
                  weight -100
                  rise 2
                  fall 2
                }
                """.formatted(flag);
        HostProcess agentA = startAgent(lab, a, conf(150, "track_script {\n    chk_flag\n  }", script));
        HostProcess agentB = startAgent(lab, b, conf(100, "", ""));
        agentA.awaitLog("(VI_71) Entering MASTER STATE", Duration.ofSeconds(30));
        agentB.awaitLog("(VI_71) Entering BACKUP STATE", Duration.ofSeconds(30));
        awaitHolds(a, vip, true, Duration.ofSeconds(5));

        Files.writeString(flag, "1");
        // fall 2 x 0.2 s, then b preempts at a's next advert of priority 50
        agentA.awaitLog("priority 150 -> 50", Duration.ofSeconds(5));
        agentB.awaitLog("(VI_71) Entering MASTER STATE", Duration.ofSeconds(5));
        awaitHolds(b, vip, true, Duration.ofSeconds(5));
        awaitHolds(a, vip, false, Duration.ofSeconds(5));
        assertThat(agentA.log()).contains("check chk_flag failed: exit status 1");

        Files.delete(flag);
        agentA.awaitLog("priority 50 -> 150", Duration.ofSeconds(5));
        awaitHolds(a, vip, true, Duration.ofSeconds(5));
        awaitHolds(b, vip, false, Duration.ofSeconds(5));
        assertThat(agentA.stop(Duration.ofSeconds(5))).isZero();
        assertThat(agentB.stop(Duration.ofSeconds(5))).isZero();
    }

    @Test
    void aTrackedFilesValueLowersThePriorityByValueTimesWeightAnd254Faults() throws IOException {
        a = lab.host("a", seg);
        b = lab.host("b", seg);
        Path file = lab.workDir().resolve("a-state");
        String track = """
                vrrp_track_file app_state {
                  file %s
                  weight -10
                  init_file 0 overwrite
                }
                """.formatted(file);
        HostProcess agentA = startAgent(lab, a, conf(150, "track_file {\n    app_state\n  }", track));
        HostProcess agentB = startAgent(lab, b, conf(100, "", ""));
        agentA.awaitLog("(VI_71) Entering MASTER STATE", Duration.ofSeconds(30));
        awaitHolds(a, vip, true, Duration.ofSeconds(5));
        assertThat(Files.readString(file).strip()).as("init_file").isEqualTo("0");

        Files.writeString(file, "3\n"); // 3 x -10: 120, still above b
        agentA.awaitLog("priority 150 -> 120", Duration.ofSeconds(5));
        assertThat(holds(a, vip)).isTrue();
        Files.writeString(file, "6\n"); // 6 x -10: 90, b preempts
        agentA.awaitLog("priority 120 -> 90", Duration.ofSeconds(5));
        agentB.awaitLog("(VI_71) Entering MASTER STATE", Duration.ofSeconds(5));
        awaitHolds(b, vip, true, Duration.ofSeconds(5));
        Files.writeString(file, "0x20\n"); // 32 x -10 = -320, clamped to -254: FAULT (keepalived)
        agentA.awaitLog("(VI_71) Entering FAULT STATE", Duration.ofSeconds(5));
        Files.writeString(file, "0\n");
        agentA.awaitLog("tracker file app_state recovered", Duration.ofSeconds(5));
        awaitHolds(a, vip, true, Duration.ofSeconds(10));
        assertThat(agentA.stop(Duration.ofSeconds(5))).isZero();
        assertThat(agentB.stop(Duration.ofSeconds(5))).isZero();
    }

    @Test
    void aScriptRefusedByScriptSecurityIsLoggedAndItsTrackerStaysFailed() throws IOException {
        a = lab.host("a", seg);
        b = lab.host("b", seg);
        Path unsafe = Files.createDirectories(lab.workDir().resolve("unsafe"));
        Files.setPosixFilePermissions(unsafe, PosixFilePermissions.fromString("rwxrwxrwx"));
        Path script = unsafe.resolve("chk.sh");
        Files.writeString(script, "#!/bin/sh\nexit 0\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        String before = """
                global_defs {
                  enable_script_security
                  script_user root
                }
                vrrp_script chk_unsafe {
                  script "%s"
                  interval 0.2
                  weight 0
                }
                """.formatted(script);
        HostProcess agentB = startAgent(lab, b, conf(100, "", ""));
        HostProcess agentA = startAgent(lab, a, conf(150, "track_script {\n    chk_unsafe\n  }", before));
        agentA.awaitLog("(VI_71) Entering FAULT STATE", Duration.ofSeconds(30));
        agentB.awaitLog("(VI_71) Entering MASTER STATE", Duration.ofSeconds(30));
        assertThat(agentA.log()).contains("vrrp_script chk_unsafe refused, its tracker stays failed: ")
                .contains(unsafe.toString()).doesNotContain("(VI_71) Entering MASTER STATE")
                .doesNotContain("(VI_71) Entering BACKUP STATE");
        awaitHolds(b, vip, true, Duration.ofSeconds(5));
        assertThat(holds(a, vip)).isFalse();
        assertThat(agentA.stop(Duration.ofSeconds(5))).isZero();
        assertThat(agentB.stop(Duration.ofSeconds(5))).isZero();
    }

    @Test
    void aTrackedInterfaceDownFaultsTheMasterAndTheVipMoves() {
        Segment other = lab.segment("other");
        a = lab.host("a", seg, other);
        b = lab.host("b", seg);
        String tracked = a.ifname(other);
        HostProcess agentA = startAgent(lab, a, conf(150, "track_interface {\n    " + tracked + "\n  }", ""));
        HostProcess agentB = startAgent(lab, b, conf(100, "", ""));
        agentA.awaitLog("(VI_71) Entering MASTER STATE", Duration.ofSeconds(30));
        awaitHolds(a, vip, true, Duration.ofSeconds(5));

        a.exec("ip", "link", "set", tracked, "down").orThrow();
        agentA.awaitLog("(VI_71) Entering FAULT STATE", Duration.ofSeconds(5));
        agentB.awaitLog("(VI_71) Entering MASTER STATE", Duration.ofSeconds(5));
        awaitHolds(b, vip, true, Duration.ofSeconds(5));
        awaitHolds(a, vip, false, Duration.ofSeconds(5));

        a.exec("ip", "link", "set", tracked, "up").orThrow();
        agentA.awaitLog("tracker interface " + tracked + " recovered", Duration.ofSeconds(5));
        awaitHolds(a, vip, true, Duration.ofSeconds(10)); // back to BACKUP, then preempts the lower priority
        assertThat(agentA.stop(Duration.ofSeconds(5))).isZero();
        assertThat(agentB.stop(Duration.ofSeconds(5))).isZero();
    }

    @Test
    void notifyScriptsRunInTransitionOrderWithKeepalivedsArguments() throws IOException {
        a = lab.host("a", seg);
        b = lab.host("b", seg);
        Path log = lab.workDir().resolve("notify.log");
        Path note = lab.workDir().resolve("note.sh");
        Files.writeString(note, "#!/bin/sh\necho \"$*\" >> " + log + "\n");
        Files.setPosixFilePermissions(note, PosixFilePermissions.fromString("rwxr-xr-x"));
        String notify = """
                notify_master "%1$s master"
                  notify_backup "%1$s backup"
                  notify_fault "%1$s fault"
                  notify "%1$s any"
                """.formatted(note);
        HostProcess agentB = startAgent(lab, b, conf(100, notify, ""));
        agentB.awaitLog("(VI_71) Entering MASTER STATE", Duration.ofSeconds(30));
        HostProcess agentA = startAgent(lab, a, conf(150, "", ""));
        // the second BACKUP: a preempts (the first was b's own start)
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() ->
                agentB.log().split("\\(VI_71\\) Entering BACKUP STATE", -1).length - 1 >= 2);
        assertThat(agentB.stop(Duration.ofSeconds(5))).isZero();
        List<String> expected = List.of(
                "backup", "any INSTANCE VI_71 BACKUP 100",
                "master", "any INSTANCE VI_71 MASTER 100",
                "backup", "any INSTANCE VI_71 BACKUP 100",
                "any INSTANCE VI_71 STOP 100");
        try {
            await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(50))
                    .until(() -> Files.exists(log) && Files.readAllLines(log).size() >= expected.size());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            throw new AssertionError("notify log " + (Files.exists(log) ? Files.readAllLines(log) : "missing")
                    + "; agent log:\n" + agentB.log(), e);
        }
        assertThat(Files.readAllLines(log)).containsExactlyElementsOf(expected);
        assertThat(agentA.stop(Duration.ofSeconds(5))).isZero();
    }
}
