package dev.vigil.agent.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every sample keepalived ships (copied into test resources, see samples/NOTICE.md) either parses
 * fully, or has each keyword Vigil does not act on reported at the line where it is written.
 */
@Timeout(60)
class SampleCorpusTest {

    /** Samples Vigil refuses, with the errors (line: message) it must give. */
    static final Map<String, List<String>> REFUSED = Map.of(
            "keepalived.conf.SSL_GET", List.of("19: vrrp_instance VI_1: auth_type AH (IPsec AH) is not supported;"
                    + " peers using it would reject Vigil's adverts"),
            "keepalived.conf.conditional_conf", List.of("6: vrrp_script check_VI_0: no 'script' given"),
            "keepalived.conf.track_interface", List.of("28: vrrp_instance VI_1: 'virtual_routes' is not supported:"
                    + " virtual routes/rules are not supported yet; a master would not install them"),
            "keepalived.conf.vrrp.lvs_syncd", List.of("3: vrrp_sync_group VG1: no 'group { ... }' of instances"),
            "keepalived.conf.vrrp.routes", List.of("25: vrrp_instance VI_1: 'virtual_routes' is not supported:"
                    + " virtual routes/rules are not supported yet; a master would not install them"),
            "keepalived.conf.vrrp.rules", List.of("24: vrrp_instance VI_1: 'virtual_rules' is not supported:"
                    + " virtual routes/rules are not supported yet; a master would not install them"),
            "keepalived.conf.vrrp.static_ipaddress", List.of("21: vrrp_instance VI_1: 'virtual_routes' is not supported:"
                    + " virtual routes/rules are not supported yet; a master would not install them"));

    private static final Pattern QUOTED_KEYWORD = Pattern.compile("'([A-Za-z_][A-Za-z0-9_]*)' (is ignored|is not supported)");

    static Path samplesDir() throws URISyntaxException {
        return Path.of(SampleCorpusTest.class.getResource("/config/samples").toURI());
    }

    static Stream<Path> samples() throws Exception {
        try (Stream<Path> s = Files.list(samplesDir())) {
            return s.filter(p -> p.getFileName().toString().startsWith("keepalived.conf.")).sorted().toList().stream();
        }
    }

    @Test
    void theCorpusIsThere() throws Exception {
        assertThat(samples()).hasSize(25);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("samples")
    void sampleParsesOrHasItsRefusalsReportedAtTheirLines(Path sample) throws IOException {
        ConfigResult r = KeepalivedConfigParser.parse(sample, Optional.empty());
        String name = sample.getFileName().toString();
        List<String> errors = r.findings().stream().filter(Finding::isError)
                .map(f -> f.line() + ": " + f.message()).toList();
        assertThat(errors).isEqualTo(REFUSED.getOrDefault(name, List.of()));
        assertThat(r instanceof ConfigResult.Valid).isEqualTo(!REFUSED.containsKey(name));
        everyNotActedOnKeywordIsOnItsLine(sample, r);
    }

    @Test
    void conditionalSampleWithEachConfigId() throws Exception {
        Path sample = samplesDir().resolve("keepalived.conf.conditional_conf");
        for (String id : List.of("high", "low")) {
            ConfigResult r = KeepalivedConfigParser.parse(sample, Optional.of(id));
            // net_namespace: Vigil runs where it is started; everything else of this sample is understood
            int line = id.equals("high") ? 3 : 4;
            int scriptLine = id.equals("high") ? 7 : 8;
            assertThat(r.findings()).extracting(f -> f.line() + ": " + f.message()).containsExactly(
                    line + ": 'net_namespace' is not supported: Vigil runs in the network namespace it is started in;"
                            + " start it there with ip netns exec",
                    scriptLine + ": scripts are configured but global_defs enable_script_security is not set:"
                            + " scripts writable by non-root users will still run, as keepalived warns");
        }
        Path copy = Files.createTempFile("conditional", ".conf");
        try {
            // without the net_namespace line the sample is a valid config whose priority follows the id
            Files.writeString(copy, Files.readString(sample).replaceAll("(?m)^@\\w+ net_namespace.*$", ""));
            AgentConfig high = ConfigFixture.valid(KeepalivedConfigParser.parse(copy, Optional.of("high")));
            AgentConfig low = ConfigFixture.valid(KeepalivedConfigParser.parse(copy, Optional.of("low")));
            assertThat(high.instances().get(0).priority()).isEqualTo(170);
            assertThat(low.instances().get(0).priority()).isEqualTo(85);
            assertThat(high.script("check_VI_0").orElseThrow().script()).isEqualTo("/etc/keepalived/scripts/check_high_VI_0.sh");
            assertThat(high.instances().get(0).trackInterfaces())
                    .containsExactly(new TrackedInterface("eth3", 0, false), new TrackedInterface("eth2", 20, false));
        } finally {
            Files.deleteIfExists(copy);
        }
    }

    @Test
    void vrrpSamplesBecomeTheInstancesTheyDescribe() throws Exception {
        AgentConfig sync = ConfigFixture.valid(KeepalivedConfigParser.parse(samplesDir().resolve("keepalived.conf.vrrp.sync"),
                Optional.empty()));
        assertThat(sync.syncGroups()).extracting(SyncGroup::name).containsExactly("G1", "G2");
        assertThat(sync.syncGroup("G1").orElseThrow().members())
                .containsExactly("VI_1", "VI_2", "VI_5", "VI_6", "VI_7", "VI_8", "VI_9");
        assertThat(sync.syncGroup("G1").orElseThrow().notifyScripts().backup())
                .contains(new ScriptCommand("/usr/local/bin/vrrp.back arg1 arg2", Optional.empty()));
        AgentConfig scripts = ConfigFixture.valid(KeepalivedConfigParser.parse(
                samplesDir().resolve("keepalived.conf.vrrp.scripts"), Optional.empty()));
        VrrpInstance vi1 = scripts.instance("VI_1").orElseThrow();
        assertThat(vi1.authentication()).contains(new PassAuthentication("1111"));
        assertThat(vi1.initialState()).isEqualTo(InitialState.MASTER);
        assertThat(vi1.priority()).isEqualTo(100);
        assertThat(vi1.virtualAddresses()).extracting(v -> IpLiteral.format(v.address()))
                .containsExactly("192.168.200.16", "192.168.200.17", "192.168.200.18");
    }

    /** A finding that names a keyword it ignores or refuses must point at a line where that keyword is written. */
    private static void everyNotActedOnKeywordIsOnItsLine(Path sample, ConfigResult r) throws IOException {
        List<String> lines = Files.readAllLines(sample);
        for (Finding f : r.findings()) {
            Matcher m = QUOTED_KEYWORD.matcher(f.message());
            if (m.find()) {
                assertThat(f.file()).isEqualTo(sample.toString());
                assertThat(lines.get(f.line() - 1)).as(f.format()).contains(m.group(1));
            }
        }
    }
}
