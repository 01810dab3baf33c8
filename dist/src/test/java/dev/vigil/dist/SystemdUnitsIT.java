package dev.vigil.dist;

import dev.vigil.lab.Requirements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The units in deploy/systemd pass {@code systemd-analyze verify} (Debian's systemd package; systemd need not run)
 * with their {@code /opt/vigil} paths pointed at this tree's bin/ (verify checks that every Exec command exists),
 * and say what the agent relies on: readiness by sd_notify, the VIP cleanup after any exit, the two capabilities.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SystemdUnitsIT {
    static final Path UNITS = Tree.TOP.resolve("deploy/systemd");

    /** {@code systemd-analyze verify} on copies of the units whose /opt/vigil is {@code prefix}: its output, empty when clean. */
    static Tree.Run verify(Path units, Path prefix, Path dir) throws Exception {
        List<String> argv = new ArrayList<>(List.of("systemd-analyze", "verify", "--man=no"));
        for (String name : List.of("vigil-agent.service", "vigil-coordinator.service")) {
            Path copy = dir.resolve(name);
            Files.writeString(copy, Files.readString(units.resolve(name)).replace("/opt/vigil", prefix.toString()));
            argv.add(copy.toString());
        }
        return Tree.run(dir, Duration.ofSeconds(60), argv.toArray(String[]::new));
    }

    @Test
    void theUnitsPassSystemdAnalyzeVerify(@TempDir Path dir) throws Exception {
        Requirements.requireCommand("systemd-analyze");
        Tree.Run r = verify(UNITS, Tree.TOP, dir);
        assertThat(r.out()).as("systemd-analyze verify findings").isEmpty();
        assertThat(r.status()).isZero();
    }

    @Test
    void verifyWouldCatchAMistake(@TempDir Path dir) throws Exception {
        Requirements.requireCommand("systemd-analyze");
        Path broken = dir.resolve("units");
        Files.createDirectories(broken);
        Files.writeString(broken.resolve("vigil-agent.service"), Files.readString(UNITS.resolve("vigil-agent.service"))
                .replace("Restart=on-failure", "Restart=on-failure\nRestrat=always"));
        Files.copy(UNITS.resolve("vigil-coordinator.service"), broken.resolve("vigil-coordinator.service"));
        Path out = dir.resolve("out");
        Files.createDirectories(out);
        assertThat(verify(broken, Tree.TOP, out).out()).contains("Unknown key").contains("Restrat");
    }

    @Test
    void theAgentUnitSaysWhatTheAgentReliesOn() throws Exception {
        Map<String, List<String>> agent = service(UNITS.resolve("vigil-agent.service"));
        assertThat(agent.get("Type")).containsExactly("notify");
        assertThat(agent.get("ExecStart")).singleElement().asString().contains("vigil-agent -n").contains("${VIGIL_CONFIG}");
        assertThat(agent.get("ExecStopPost")).singleElement().asString().contains("vigil-agent --remove-vips -f ${VIGIL_CONFIG}");
        assertThat(agent.get("Restart")).containsExactly("on-failure");
        assertThat(String.join(" ", agent.get("CapabilityBoundingSet"))).contains("CAP_NET_ADMIN").contains("CAP_NET_RAW")
                .doesNotContain("CAP_SYS_ADMIN");
        assertThat(String.join(" ", agent.get("RestrictAddressFamilies"))).contains("AF_NETLINK").contains("AF_PACKET");
        assertThat(agent.get("NoNewPrivileges")).containsExactly("yes");

        Map<String, List<String>> coordinator = service(UNITS.resolve("vigil-coordinator.service"));
        assertThat(coordinator.get("Type")).containsExactly("notify");
        assertThat(coordinator.get("User")).containsExactly("vigil");
        assertThat(coordinator.get("CapabilityBoundingSet")).containsExactly("");
    }

    /** The [Service] section's settings (a repeated key keeps every value), comments and other sections left out. */
    static Map<String, List<String>> service(Path unit) throws Exception {
        Map<String, List<String>> out = new LinkedHashMap<>();
        String section = "";
        for (String line : Files.readAllLines(unit)) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#") || l.startsWith(";")) {
                continue;
            }
            if (l.startsWith("[")) {
                section = l;
                continue;
            }
            int eq = l.indexOf('=');
            assertThat(eq).as("%s: a setting without '=': %s", unit, l).isPositive();
            if (section.equals("[Service]")) {
                out.computeIfAbsent(l.substring(0, eq), k -> new ArrayList<>()).add(l.substring(eq + 1));
            }
        }
        return out;
    }
}
