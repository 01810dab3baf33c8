package dev.vigil.agent.config;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterProperty;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whatever a file holds, reading it gives a result and never an exception: a valid config, or
 * findings with at least one error, each with a line inside the file.
 */
@Timeout(120)
class ConfigRobustnessTest {

    private static final List<String> WORDS = List.of("vrrp_instance", "VI_1", "vrrp_script", "chk", "global_defs",
            "vrrp_sync_group", "group", "interface", "eth0", "virtual_router_id", "priority", "advert_int", "state",
            "MASTER", "BACKUP", "nopreempt", "preempt_delay", "virtual_ipaddress", "virtual_ipaddress_excluded",
            "192.0.2.1/24", "2001:db8::1", "dev", "label", "scope", "brd", "+", "unicast_peer", "unicast_src_ip",
            "authentication", "auth_type", "PASS", "AH", "auth_pass", "track_script", "track_interface", "track_file",
            "weight", "-20", "reverse", "0", "1", "3", "255", "256", "-99999999999999999999", "1.5", "0.001", "1e9",
            "notify_master", "\"/bin/true x\"", "'a", "\"b", "{", "}", "{", "}", "!", "#", "\\", "$X", "$X=1",
            "${X}", "@a", "@^a", "include", "*.conf", "~SEQ", "vigil", "coordinator", "http://[", "version", "2",
            "smtp_alert", "vrrp_strict", "script", "interval", "timeout", "rise", "fall", "file", "init_file",
            "\t", "\u00e9", "\u0000");

    private final Path dir = createDir();

    private static Path createDir() {
        try {
            return Files.createTempDirectory("vigil-config-fuzz");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterProperty
    void removeDir() throws IOException {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    @Provide
    Arbitrary<String> configText() {
        Arbitrary<String> word = Arbitraries.of(WORDS);
        Arbitrary<String> line = word.list().ofMaxSize(6).map(ws -> String.join(" ", ws));
        return line.list().ofMaxSize(40).map(ls -> String.join("\n", ls) + "\n");
    }

    @Property(tries = 400)
    void anyTextGivesAResultNeverAnException(@ForAll("configText") String text) throws IOException {
        Path f = dir.resolve("k.conf");
        Files.writeString(f, text);
        ConfigResult r = KeepalivedConfigParser.parse(f, Optional.of("a"));
        long lines = text.lines().count();
        for (Finding finding : r.findings()) {
            assertThat(finding.line()).isBetween(0, (int) lines + 1);
            assertThat(finding.message()).isNotBlank();
        }
        if (r instanceof ConfigResult.Invalid) {
            assertThat(r.findings()).anyMatch(Finding::isError);
        } else {
            assertThat(r.findings()).noneMatch(Finding::isError);
        }
    }

    @Property(tries = 200)
    void arbitraryBytesGiveAResult(@ForAll byte[] bytes) throws IOException {
        Path f = dir.resolve("b.conf");
        Files.write(f, bytes);
        assertThat(KeepalivedConfigParser.parse(f, Optional.empty())).isNotNull();
    }
}
