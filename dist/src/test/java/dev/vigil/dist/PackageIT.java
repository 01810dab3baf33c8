package dev.vigil.dist;

import dev.vigil.lab.Requirements;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code bin/vigil-package} (what {@code bin/vigil package} runs after building) makes a tarball that works where it
 * is unpacked, with nothing of the source tree: the agent checks the example configuration, every program answers
 * {@code --version}, and the units it carries verify against the unpacked bin/.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class PackageIT {

    @Test
    void theTarballRunsWhereItIsUnpacked(@TempDir Path dir) throws Exception {
        Requirements.requireCommand("tar");
        assertThat(Tree.TOP.resolve("node-agent/target/node-agent.jar")).as("the modules are packaged before dist's ITs").exists();
        Tree.Run built = Tree.run(Tree.TOP, Duration.ofSeconds(120), Tree.TOP.resolve("bin/vigil-package").toString(),
                dir.resolve("out").toString());
        assertThat(built.status()).as(built.out()).isZero();
        Path tarball;
        try (Stream<Path> files = Files.list(dir.resolve("out"))) {
            tarball = files.filter(f -> f.getFileName().toString().matches("vigil-.+\\.tar\\.gz")).findFirst().orElseThrow();
        }
        Path unpacked = dir.resolve("unpacked");
        Files.createDirectories(unpacked);
        assertThat(Tree.run(unpacked, Duration.ofSeconds(60), "tar", "xzf", tarball.toString()).status()).isZero();
        String version = tarball.getFileName().toString().replaceAll("^vigil-|\\.tar\\.gz$", "");
        Path home = unpacked.resolve("vigil-" + version);

        for (String f : new String[] {"bin/vigil-agent", "bin/vigil-coordinator", "bin/vigilctl", "lib/agent/node-agent.jar",
                "lib/coordinator/coordinator.jar", "systemd/vigil-agent.service", "systemd/vigil-coordinator.service",
                "examples/keepalived.conf", "examples/coordinator.json", "docs/operations.md", "install.sh", "VERSION", "README.md"}) {
            assertThat(home.resolve(f)).as(f).exists();
        }
        assertThat(Files.isExecutable(home.resolve("bin/vigil-agent"))).isTrue();
        assertThat(Files.readString(home.resolve("VERSION")).strip()).isEqualTo(version);

        Tree.Run check = Tree.run(unpacked, Duration.ofSeconds(60), home.resolve("bin/vigil-agent").toString(), "-t", "-f",
                home.resolve("examples/keepalived.conf").toString());
        assertThat(check.status()).as(check.out()).isZero();
        assertThat(check.out()).contains("configuration is valid: 2 vrrp_instance(s)");

        for (String program : new String[] {"vigil-agent", "vigilctl"}) {
            Tree.Run v = Tree.run(unpacked, Duration.ofSeconds(60), home.resolve("bin/" + program).toString(), "--version");
            assertThat(v.status()).as(v.out()).isZero();
            assertThat(v.out()).startsWith(program + " ");
        }
        Tree.Run help = Tree.run(unpacked, Duration.ofSeconds(60), home.resolve("bin/vigil-coordinator").toString(), "--help");
        assertThat(help.status()).as(help.out()).isZero();

        if (Tree.onPath("systemd-analyze")) {
            Path units = dir.resolve("units");
            Files.createDirectories(units);
            Tree.Run verified = SystemdUnitsIT.verify(home.resolve("systemd"), home, units);
            assertThat(verified.out()).as("the packaged units against the unpacked bin/").isEmpty();
        }
    }
}
