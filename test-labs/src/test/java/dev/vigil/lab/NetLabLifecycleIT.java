package dev.vigil.lab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class NetLabLifecycleIT {

    private static void assertNothingNamed(String prefix) {
        assertThat(NetLab.namespaces()).noneMatch(ns -> ns.startsWith(prefix));
        assertThat(NetLab.links()).noneMatch(link -> link.startsWith(prefix));
        assertThat(NetLab.nftTables()).noneMatch(table -> table.contains(prefix));
    }

    @Test
    void closeRemovesEverythingTheLabMadeAndIsIdempotent() {
        NetLab lab = NetLab.create("close-test");
        String prefix = lab.prefix();
        Path workDir = lab.workDir();
        Segment vrrp = lab.segment("vrrp");
        Host a = lab.host("a", vrrp);
        Host b = lab.host("b", vrrp, lab.segment("mgmt"));
        lab.partition(a, b);
        lab.capture(vrrp);
        HostProcess sleeper = a.start("sleep", "1000");
        assertThat(NetLab.namespaces()).contains(prefix + "-a", prefix + "-b");
        assertThat(NetLab.nftTables()).contains("table bridge " + prefix);

        lab.close();
        lab.close();

        assertNothingNamed(prefix);
        assertThat(sleeper.isAlive()).isFalse();
        assertThat(workDir).doesNotExist();
        assertThat(LabLock.LOCK_DIR.resolve(prefix + ".lock")).doesNotExist();
    }

    @Test
    void openingALabRemovesLeftoversOfKilledRunsButNothingLiveOrForeign() throws Exception {
        // A killed run: its resources exist, its lock file exists but nobody holds it.
        String dead = "vlzz" + Long.toString(System.nanoTime() % 1296, 36);
        dead = (dead + "00").substring(0, 6);
        Files.createDirectories(LabLock.LOCK_DIR);
        Files.writeString(LabLock.LOCK_DIR.resolve(dead + ".lock"), "12345\n");
        Exec.check("ip", "netns", "add", dead + "-x");
        Exec.check("ip", "netns", "exec", dead + "-x", "true");
        Exec.check("ip", "link", "add", dead + "br0", "type", "bridge");
        Exec.check("ip", "link", "add", dead + "h1s0", "type", "veth", "peer", "name", "eth0", "netns", dead + "-x");
        Exec.check("nft", "add", "table", "bridge", dead);
        // Not ours by pattern: must survive.
        String foreign = "vlzzzzbrx";
        Exec.check("ip", "link", "add", foreign, "type", "bridge");
        try (NetLab live = NetLab.create("live")) {
            live.host("a", live.segment("vrrp"));
            try (NetLab fresh = NetLab.create("fresh")) {
                assertNothingNamed(dead);
                assertThat(LabLock.LOCK_DIR.resolve(dead + ".lock")).doesNotExist();
                assertThat(NetLab.links()).contains(foreign, live.prefix() + "br0", live.prefix() + "h1s0");
                assertThat(NetLab.namespaces()).contains(live.prefix() + "-a");
                assertThat(fresh.prefix()).isNotEqualTo(live.prefix());
            }
        } finally {
            Exec.run("ip", "link", "del", foreign);
            NetLab.removeResources(dead);
        }
    }

    @Test
    void resourcesOfALabLockedByAnotherLiveProcessSurviveUntilThatProcessDies() throws Exception {
        String name = "vlzy" + Long.toString(System.nanoTime() % 1296 + 1296, 36).substring(1);
        Path source = Files.createTempDirectory("vigil-holdlock-").resolve("HoldLock.java");
        Files.writeString(source, """
                import java.nio.channels.FileChannel;
                import java.nio.file.*;
                public class HoldLock {
                    public static void main(String[] args) throws Exception {
                        FileChannel channel = FileChannel.open(Path.of(args[0]), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                        channel.lock();
                        System.out.println("locked");
                        Thread.sleep(600_000);
                    }
                }
                """);
        String javaCommand = ProcessHandle.current().info().command().orElse("java");
        Files.createDirectories(LabLock.LOCK_DIR);
        HostProcess holder = HostProcess.start(
                java.util.List.of(javaCommand, source.toString(), LabLock.LOCK_DIR.resolve(name + ".lock").toString()),
                source.resolveSibling("holder.log"));
        try {
            holder.awaitLog("locked", java.time.Duration.ofSeconds(30));
            Exec.check("ip", "netns", "add", name + "-x");
            Exec.check("ip", "link", "add", name + "br0", "type", "bridge");

            NetLab.create("while-alive").close();
            assertThat(NetLab.namespaces()).contains(name + "-x");
            assertThat(NetLab.links()).contains(name + "br0");

            holder.kill();
            NetLab.create("after-death").close();
            assertNothingNamed(name);
        } finally {
            holder.kill();
            NetLab.removeResources(name);
            Files.deleteIfExists(LabLock.LOCK_DIR.resolve(name + ".lock"));
            LabLock.deleteTree(source.getParent());
        }
    }
}
