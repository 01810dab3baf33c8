package dev.vigil.agent.daemon;

import dev.vigil.agent.daemon.AgentLab.WireAdvert;
import dev.vigil.lab.Capture;
import dev.vigil.lab.Host;
import dev.vigil.lab.HostProcess;
import dev.vigil.lab.NetLab;
import dev.vigil.lab.Segment;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.vigil.agent.daemon.AgentLab.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * SIGHUP reload and the admin socket, on the wire: an unchanged instance keeps its state (no priority-0 advert, no
 * advert gap a backup could act on, no re-announcement, the backup never takes over), a changed one restarts, a
 * removed one resigns, an added one starts; a broken file changes nothing. The admin socket answers reads to a
 * non-root peer and refuses it a reload.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class AgentReloadIT {
    static final double INTERVAL = 0.2;

    @RegisterExtension
    final NetLab lab = NetLab.extension();
    Segment seg;
    Host a, b;
    Path socketDir;
    Path socket;

    @BeforeEach
    void hosts() throws IOException {
        seg = lab.segment("vrrp");
        a = lab.host("a", seg);
        b = lab.host("b", seg);
        // 0755 so that the non-root client can reach the socket when the test opens the socket's own mode
        socketDir = Files.createTempDirectory("vigil-admin-");
        Files.setPosixFilePermissions(socketDir, PosixFilePermissions.fromString("rwxr-xr-x"));
        socket = socketDir.resolve("agent.sock");
    }

    @AfterEach
    void removeSocketDir() throws IOException {
        try (Stream<Path> files = Files.walk(socketDir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(AgentControl.DATA_FILE);
        Files.deleteIfExists(AgentControl.STATS_FILE);
        Files.deleteIfExists(AgentControl.JSON_FILE);
    }

    String vigilBlock() {
        return "vigil {\n  admin_socket " + socket + "\n  state_dir " + socketDir.resolve("state") + "\n}\n";
    }

    /** No delayed second GARP round: any announcement after a reload would then be the reload's doing. */
    String inst(int vrid, int priority) {
        return instance(vrid, priority, 3, "0.2", "garp_master_delay 0", seg.ip4(vrid) + "/24");
    }

    @Test
    void anUnchangedInstanceKeepsItsStateAndABrokenFileChangesNothing() throws IOException {
        Path file = lab.workDir().resolve("a-reload.conf");
        Files.writeString(file, vigilBlock() + inst(71, 150) + inst(72, 150) + inst(74, 150));
        Capture wire = lab.capture(seg);
        HostProcess backup = startAgent(lab, b, inst(71, 100));
        backup.awaitLog("(VI_71) Entering BACKUP STATE", Duration.ofSeconds(30));
        HostProcess agent = startAgent(a, file);
        agent.awaitLog("(VI_74) Entering MASTER STATE", Duration.ofSeconds(30));
        agent.awaitLog("(VI_71) Entering MASTER STATE", Duration.ofSeconds(30));
        awaitHolds(a, seg.ip4(74), true, Duration.ofSeconds(5));
        AgentFailoverIT.sleep(1000);

        // VI_71 unchanged (moved below VI_72), VI_72 changed, VI_74 removed, VI_73 added
        Files.writeString(file, "# reordered\n" + vigilBlock() + inst(72, 140) + inst(71, 150) + inst(73, 150));
        int before = agent.log().length();
        int backupBefore = backup.log().length(); // b was master alone before a started
        double reloadAt = nowEpoch();
        agent.signal("HUP");
        agent.awaitLog("reload done", Duration.ofSeconds(20));
        agent.awaitLog("(VI_73) Entering MASTER STATE", Duration.ofSeconds(10));
        awaitHolds(a, seg.ip4(73), true, Duration.ofSeconds(5));
        awaitHolds(a, seg.ip4(74), false, Duration.ofSeconds(5));
        AgentFailoverIT.sleep(1500);
        String reloadLog = agent.log().substring(before);
        assertThat(reloadLog).contains("kept [VI_71]").contains("VI_72 (priority)").contains("removed [VI_74]")
                .contains("added [VI_73]").doesNotContain("(VI_71) ");
        assertThat(holds(a, seg.ip4(71))).isTrue();

        // a broken file: refused with file:line, nothing changes
        List<String> broken = new ArrayList<>(List.of(Files.readString(file).split("\n", -1)));
        int line = broken.indexOf("  priority 140") + 1;
        broken.set(line - 1, "  priority 300");
        Files.writeString(file, String.join("\n", broken));
        int beforeBroken = agent.log().length();
        double brokenAt = nowEpoch();
        agent.signal("HUP");
        agent.awaitLog("reload refused", Duration.ofSeconds(20));
        AgentFailoverIT.sleep(1500);
        String brokenLog = agent.log().substring(beforeBroken);
        assertThat(brokenLog).contains(file + ":" + line + ":").doesNotContain("Entering").doesNotContain("VIP");
        wire.stop();

        double end = nowEpoch();
        List<WireAdvert> kept = adverts(wire, 71).stream().filter(x -> x.source().equals(a.address())).toList();
        assertThat(kept).as("VI_71 adverts from a").isNotEmpty();
        assertThat(kept.stream().filter(x -> x.time() >= reloadAt)).as("VI_71 after the reloads")
                .isNotEmpty().allSatisfy(x -> assertThat(x.priority()).isEqualTo(150));
        assertThat(maxGap(kept, reloadAt - 1, end)).as("VI_71's longest advert gap around the reloads")
                .isLessThan(masterDownSeconds(INTERVAL, 100));
        assertThat(frameTimes(wire, "arp && arp.src.proto_ipv4 == " + seg.ip4(71)).stream().filter(t -> t >= reloadAt))
                .as("no re-announcement of the kept VIP").isEmpty();
        assertThat(backup.log().substring(backupBefore)).doesNotContain("(VI_71) Entering MASTER STATE");

        List<WireAdvert> changed = adverts(wire, 72);
        assertThat(changed.stream().filter(x -> x.time() >= reloadAt && x.priority() == 0))
                .as("VI_72 resigned once when it restarted").hasSize(1);
        assertThat(changed.stream().filter(x -> x.time() >= reloadAt + 1).map(WireAdvert::priority).distinct())
                .containsExactly(140);
        assertThat(adverts(wire, 74).stream().filter(x -> x.time() >= reloadAt && x.priority() == 0))
                .as("VI_74 resigned when it was removed").hasSize(1);
        assertThat(adverts(wire, 74).stream().filter(x -> x.time() >= reloadAt + 1)).isEmpty();
        assertThat(adverts(wire, 73).stream().filter(x -> x.time() >= brokenAt)).isNotEmpty()
                .allSatisfy(x -> assertThat(x.priority()).isEqualTo(150));
        for (int vrid : List.of(71, 72, 73)) {
            assertThat(adverts(wire, vrid).stream().filter(x -> x.time() >= brokenAt && x.priority() == 0))
                    .as("no resignation of VI_%d at the broken reload", vrid).isEmpty();
        }
    }

    @Test
    void aRestartedInstanceStartsWithTheStatusOfAScriptThatKeptRunning() throws IOException {
        String script = """
                vrrp_script chk_down {
                  script "/bin/false"
                  interval 0.2
                  weight -60
                  rise 1
                  fall 1
                }
                """;
        String track = "garp_master_delay 0\n  track_script {\n    chk_down\n  }";
        Path file = lab.workDir().resolve("a-script.conf");
        Files.writeString(file, vigilBlock() + script + instance(91, 150, 3, "0.2", track, seg.ip4(91) + "/24")
                + instance(92, 150, 3, "0.2", track, seg.ip4(92) + "/24"));
        HostProcess agent = startAgent(a, file);
        agent.awaitLog("(VI_91) Entering MASTER STATE", Duration.ofSeconds(30));
        agent.awaitLog("(VI_92) priority 150 -> 90", Duration.ofSeconds(10));
        Capture wire = lab.capture(seg);
        AgentFailoverIT.sleep(500);

        Files.writeString(file, vigilBlock() + script + instance(91, 150, 3, "0.2", track, seg.ip4(91) + "/24")
                + instance(92, 140, 3, "0.2", track, seg.ip4(92) + "/24"));
        double reloadAt = nowEpoch();
        agent.signal("HUP");
        agent.awaitLog("reload done", Duration.ofSeconds(20));
        agent.awaitLog("(VI_92) Entering MASTER STATE", Duration.ofSeconds(10));
        AgentFailoverIT.sleep(1000);
        wire.stop();

        assertThat(agent.log().split("vrrp_script chk_down: ", -1)).as("the check was started once").hasSize(2);
        double resigned = adverts(wire, 92).stream().filter(x -> x.time() >= reloadAt && x.priority() == 0)
                .mapToDouble(WireAdvert::time).min().orElseThrow();
        assertThat(adverts(wire, 92).stream().filter(x -> x.time() > resigned))
                .as("the restarted VI_92 knew at once that chk_down fails").isNotEmpty()
                .allSatisfy(x -> assertThat(x.priority()).isEqualTo(80));
        assertThat(adverts(wire, 91).stream().filter(x -> x.time() >= reloadAt)).isNotEmpty()
                .allSatisfy(x -> assertThat(x.priority()).isEqualTo(90));
    }

    @Test
    void theAdminSocketAnswersReadsToAnyPeerAndReloadsToRootOnly() throws Exception {
        Path file = lab.workDir().resolve("a-admin.conf");
        Files.writeString(file, vigilBlock() + inst(81, 150));
        HostProcess agent = startAgent(a, file);
        agent.awaitLog("(VI_81) Entering MASTER STATE", Duration.ofSeconds(30));
        agent.awaitLog("admin socket " + socket, Duration.ofSeconds(10));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-------");

        Run status = vigilctl(false, "status");
        assertThat(status.code()).as(status.output()).isZero();
        assertThat(status.output()).containsPattern("VI_81\\s+MASTER\\s+eth0\\s+81\\s+150\\s+150");
        Run json = vigilctl(false, "status", "--json");
        assertThat(json.output()).contains("\"state\" : \"MASTER\"").contains("\"name\" : \"VI_81\"");
        assertThat(vigilctl(false, "stats").output()).contains("VRRP Instance: VI_81").contains("Sent: ");

        // mode 0600: nobody cannot even connect
        Run denied = vigilctl(true, "status");
        assertThat(denied.code()).as(denied.output()).isEqualTo(2);
        // opened to others (as an operator would for a monitoring user): reads yes, reload no
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
        Run read = vigilctl(true, "status");
        assertThat(read.code()).as(read.output()).isZero();
        assertThat(read.output()).contains("VI_81");
        Run refused = vigilctl(true, "reload");
        assertThat(refused.code()).as(refused.output()).isEqualTo(1);
        assertThat(refused.output()).contains("root only");
        assertThat(agent.log()).doesNotContain("reloading");
        Run reload = vigilctl(false, "reload");
        assertThat(reload.code()).as(reload.output()).isZero();
        assertThat(reload.output()).contains("no instance changed");
        agent.awaitLog("vigilctl reload: reload done", Duration.ofSeconds(10));

        agent.signal("USR1");
        agent.awaitLog("SIGUSR1: state written", Duration.ofSeconds(10));
        assertThat(Files.readString(AgentControl.DATA_FILE)).contains("VRRP Instance = VI_81").contains("State = MASTER")
                .contains("Reloads = 1, refused = 0");
        assertThat(Files.readString(AgentControl.JSON_FILE)).contains("\"VI_81\"");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(AgentControl.DATA_FILE)))
                .isEqualTo("rw-------");
        agent.signal("USR2");
        agent.awaitLog("SIGUSR2: statistics written", Duration.ofSeconds(10));
        assertThat(Files.readString(AgentControl.STATS_FILE)).contains("VRRP Instance: VI_81").contains("Became master: 1");

        agent.stop(Duration.ofSeconds(5));
        assertThat(socket).as("the socket file goes with the agent").doesNotExist();
    }

    record Run(int code, String output) {
    }

    /** {@code vigilctl STATUS|...} as bin/vigilctl runs it, as root or as nobody (setpriv). */
    Run vigilctl(boolean asNobody, String... args) throws Exception {
        List<String> argv = new ArrayList<>();
        if (asNobody) {
            argv.addAll(List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"));
        }
        argv.addAll(List.of("java", "-Xmx64m", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-cp", classPath(),
                "dev.vigil.agent.control.AdminCommand"));
        argv.addAll(List.of(args));
        argv.addAll(List.of("--socket", socket.toString()));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out);
    }

    static double maxGap(List<WireAdvert> adverts, double from, double to) {
        double gap = 0;
        double last = Double.NaN;
        for (WireAdvert x : adverts) {
            if (x.time() < from || x.time() > to) {
                continue;
            }
            if (!Double.isNaN(last)) {
                gap = Math.max(gap, x.time() - last);
            }
            last = x.time();
        }
        return gap;
    }
}
