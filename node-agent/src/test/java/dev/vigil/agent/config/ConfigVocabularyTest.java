package dev.vigil.agent.config;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

import static dev.vigil.agent.config.ConfigFixture.valid;
import static dev.vigil.agent.config.ConfigFixture.warnings;
import static org.assertj.core.api.Assertions.assertThat;

/** Every keyword Vigil acts on parses into the right record value (test resource config/full.conf). */
@Timeout(30)
class ConfigVocabularyTest {

    static AgentConfig full;
    static ConfigResult fullResult;

    @TempDir
    Path tmp;
    ConfigFixture fx;

    @BeforeAll
    static void readFull() throws URISyntaxException {
        Path file = Path.of(ConfigVocabularyTest.class.getResource("/config/full.conf").toURI());
        fullResult = KeepalivedConfigParser.parse(file, Optional.empty());
        full = valid(fullResult);
    }

    @BeforeEach
    void setUp() {
        fx = new ConfigFixture(tmp);
    }

    static InetAddress ip(String s) {
        return IpLiteral.parse(s).orElseThrow();
    }

    @Test
    void fullConfigHasNoFindings() {
        assertThat(fullResult.findings()).isEmpty();
    }

    @Test
    void globalDefs() {
        GlobalDefs g = full.global();
        assertThat(g.routerId()).contains("pg-node-1");
        assertThat(g.vrrpVersion()).isEqualTo(3);
        assertThat(g.garp()).isEqualTo(new GarpSettings(Duration.ofSeconds(2), 3, Duration.ofSeconds(60), 2,
                Duration.ofSeconds(1), 4));
        assertThat(g.garpInterval()).isEqualTo(Duration.ofMillis(1));
        assertThat(g.gnaInterval()).isEqualTo(Duration.ofMillis(2));
        assertThat(g.lowerPrioNoAdvert()).isTrue();
        assertThat(g.higherPrioSendAdvert()).isTrue();
        assertThat(g.enableScriptSecurity()).isTrue();
        assertThat(g.scriptUser()).contains(new ScriptUser("keepalived_script", Optional.of("scripts")));
        assertThat(g.vrrpStrict()).isFalse();
        assertThat(g.notifyFifo()).contains(new NotifyFifo("/run/keepalived.fifo", Optional.of(
                new ScriptCommand("/usr/local/bin/fifo-reader", Optional.of(new ScriptUser("root", Optional.empty()))))));
        assertThat(g.vrrpNotifyFifo()).contains(new NotifyFifo("/run/vrrp.fifo", Optional.empty()));
        assertThat(g.skipCheckAdvAddr()).isTrue();
        assertThat(g.checkUnicastSrc()).isTrue();
        assertThat(g.mcastGroup4()).isEqualTo(ip("224.0.0.19"));
        assertThat(g.mcastGroup6()).isEqualTo(ip("ff02::13"));
        assertThat(g.v3ChecksumAsV2()).isTrue();
        assertThat(g.downTimerAdverts()).isEqualTo(4);
        assertThat(g.vrrpPriority()).isEqualTo(-5);
        assertThat(g.vrrpRtPriority()).isEqualTo(10);
    }

    @Test
    void vigilBlock() {
        assertThat(full.vigil()).isEqualTo(new VigilSettings(Optional.of("pg-node-1.example"), "payments",
                Path.of("/var/lib/vigil-test"),
                List.of(URI.create("https://coord-a.example:8443"), URI.create("http://coord-b.example:8080")),
                Optional.of(Path.of("/etc/vigil/token")), Path.of("/run/vigil-test/agent.sock")));
    }

    @Test
    void scriptsAndTrackFiles() {
        assertThat(full.script("chk_pg")).contains(new VrrpScript("chk_pg", "/usr/local/bin/pg_isready -q",
                Duration.ofSeconds(2), Duration.ofSeconds(5), -30, true, 2, 3,
                Optional.of(new ScriptUser("postgres", Optional.empty())), true));
        // timeout defaults to the interval; weight 0 and rise/fall 1 are keepalived's defaults
        assertThat(full.script("chk_fast")).contains(new VrrpScript("chk_fast", "/bin/true",
                Duration.ofMillis(500), Duration.ofMillis(500), 0, false, 1, 1, Optional.empty(), false));
        assertThat(full.trackFile("maint")).contains(new TrackFile("maint", "/var/run/vigil/maintenance", -10, true,
                OptionalLong.of(5), true));
    }

    @Test
    void instanceWithEveryOption() {
        VrrpInstance vi = full.instance("VI_PG").orElseThrow();
        assertThat(vi.initialState()).isEqualTo(InitialState.BACKUP);
        assertThat(vi.interfaceName()).contains("eth0");
        assertThat(vi.virtualRouterId()).isEqualTo(51);
        assertThat(vi.priority()).isEqualTo(150);
        assertThat(vi.version()).isEqualTo(3); // from global vrrp_version
        assertThat(vi.advertInterval()).isEqualTo(Duration.ofMillis(250));
        assertThat(vi.advertIntervalCentis()).isEqualTo(25);
        assertThat(vi.downTimerAdverts()).isEqualTo(5);
        assertThat(vi.preempt()).isFalse();
        assertThat(vi.preemptDelay()).isZero();
        assertThat(vi.family()).isEqualTo(AddressFamily.IPV4);
        assertThat(vi.sourceAddress()).contains(ip("192.0.2.1"));
        assertThat(vi.unicastPeers()).containsExactly(
                new UnicastPeer(ip("192.0.2.2"), OptionalInt.empty(), OptionalInt.empty()),
                new UnicastPeer(ip("192.0.2.3"), OptionalInt.of(250), OptionalInt.of(255)));
        assertThat(vi.isUnicast()).isTrue();
        assertThat(vi.checkUnicastSrc()).isFalse(); // instance overrides global
        assertThat(vi.virtualAddresses()).containsExactly(
                new VirtualAddress(ip("192.0.2.100"), 24, Optional.of(ip("192.0.2.255")), Optional.of("eth0"),
                        AddressScope.GLOBAL, Optional.of("eth0:pg"), false, false),
                new VirtualAddress(ip("192.0.2.101"), 32, Optional.empty(), Optional.empty(), AddressScope.GLOBAL,
                        Optional.empty(), true, false),
                new VirtualAddress(ip("192.0.2.102"), 25, Optional.of(ip("192.0.2.127")), Optional.empty(),
                        AddressScope.GLOBAL, Optional.empty(), false, false));
        assertThat(vi.excludedAddresses()).containsExactly(
                new VirtualAddress(ip("2001:db8::100"), 64, Optional.empty(), Optional.of("eth1"), AddressScope.GLOBAL,
                        Optional.empty(), false, true),
                new VirtualAddress(ip("198.51.100.7"), 32, Optional.empty(), Optional.empty(), AddressScope.LINK,
                        Optional.empty(), false, false));
        assertThat(vi.authentication()).isEmpty();
        assertThat(vi.garp()).isEqualTo(new GarpSettings(Duration.ofSeconds(3), 2, Duration.ofSeconds(30), 3,
                Duration.ofSeconds(7), 1));
        // its sync group PG's trackers come after its own, as keepalived adds them to every member
        assertThat(vi.trackInterfaces()).containsExactly(new TrackedInterface("eth0", 0, false),
                new TrackedInterface("eth1", -20, false), new TrackedInterface("eth2", 10, true),
                new TrackedInterface("eth3", -5, false));
        // the script's own weight and reverse apply unless the entry overrides them
        assertThat(vi.trackScripts()).containsExactly(new TrackedScript("chk_pg", -30, true),
                new TrackedScript("chk_fast", 5, false), new TrackedScript("chk_group", 0, false));
        assertThat(vi.trackFiles()).containsExactly(new TrackedFile("maint", -3, true),
                new TrackedFile("group_maint", -10, true));
        NotifyScripts n = vi.notifyScripts();
        assertThat(n.master()).contains(new ScriptCommand("/usr/local/bin/notify master",
                Optional.of(new ScriptUser("postgres", Optional.empty()))));
        assertThat(n.backup()).contains(new ScriptCommand("/usr/local/bin/notify-backup", Optional.empty()));
        assertThat(n.fault()).contains(new ScriptCommand("/usr/local/bin/notify fault",
                Optional.of(new ScriptUser("root", Optional.of("root")))));
        assertThat(n.stop().orElseThrow().command()).isEqualTo("/usr/local/bin/notify-stop");
        assertThat(n.deleted().orElseThrow().command()).isEqualTo("/usr/local/bin/notify-deleted");
        assertThat(n.any().orElseThrow().command()).isEqualTo("/usr/local/bin/notify-any");
        assertThat(n.masterRxLowerPriority().orElseThrow().command()).isEqualTo("/usr/local/bin/notify-rx-lower");
        assertThat(vi.accept()).isFalse();
        assertThat(vi.dontTrackPrimary()).isTrue();
        assertThat(vi.trackSourceAddress()).isTrue();
        assertThat(vi.vmac()).contains(new Vmac(Optional.of("vrrp.51"), Optional.empty(), true));
        assertThat(vi.v3ChecksumAsV2()).isFalse();
        assertThat(vi.lowerPrioNoAdvert()).isFalse();
        assertThat(vi.higherPrioSendAdvert()).isFalse();
        assertThat(vi.skipCheckAdvAddr()).isFalse();
        assertThat(vi.strictMode()).isFalse();
        assertThat(vi.declaredAt().line()).isEqualTo(61);
    }

    @Test
    void versionTwoMulticastInstanceInheritsGlobals() {
        VrrpInstance vi = full.instance("VI_V2").orElseThrow();
        assertThat(vi.version()).isEqualTo(2);
        assertThat(vi.advertInterval()).hasSeconds(2);
        assertThat(vi.advertIntervalCentis()).isEqualTo(200);
        assertThat(vi.priority()).isEqualTo(100);
        assertThat(vi.initialState()).isEqualTo(InitialState.BACKUP);
        assertThat(vi.preempt()).isTrue();
        assertThat(vi.preemptDelay()).isEqualTo(Duration.ofMillis(15_500));
        assertThat(vi.sourceAddress()).contains(ip("198.51.100.1"));
        assertThat(vi.multicastGroup()).isEqualTo(ip("224.0.0.20"));
        assertThat(vi.authentication()).contains(new PassAuthentication("s3cret"));
        assertThat(vi.garp()).isEqualTo(full.global().garp());
        assertThat(vi.accept()).isTrue();
        assertThat(vi.checkUnicastSrc()).isTrue();
        assertThat(vi.v3ChecksumAsV2()).isTrue();
        assertThat(vi.lowerPrioNoAdvert()).isTrue();
        assertThat(vi.higherPrioSendAdvert()).isTrue();
        assertThat(vi.skipCheckAdvAddr()).isTrue();
        assertThat(vi.downTimerAdverts()).isEqualTo(4);
        assertThat(vi.notifyScripts()).isEqualTo(NotifyScripts.NONE);
    }

    @Test
    void ipv6InstanceIsVersionThreeOnTheIpv6Group() {
        VrrpInstance vi = full.instance("VI_6").orElseThrow();
        assertThat(vi.family()).isEqualTo(AddressFamily.IPV6);
        assertThat(vi.version()).isEqualTo(3);
        assertThat(vi.multicastGroup()).isEqualTo(ip("ff02::13"));
        assertThat(vi.initialState()).isEqualTo(InitialState.MASTER);
        assertThat(vi.virtualAddresses()).extracting(VirtualAddress::prefixLength).containsExactly(64, 128);
    }

    @Test
    void syncGroup() {
        SyncGroup g = full.syncGroup("PG").orElseThrow();
        assertThat(g.members()).containsExactly("VI_PG", "VI_V2");
        assertThat(g.trackInterfaces()).containsExactly(new TrackedInterface("eth3", -5, false));
        assertThat(g.trackScripts()).containsExactly(new TrackedScript("chk_group", 0, false));
        assertThat(g.trackFiles()).containsExactly(new TrackedFile("group_maint", -10, true));
        assertThat(full.instance("VI_V2").orElseThrow().trackScripts()).containsExactly(new TrackedScript("chk_group", 0, false));
        assertThat(g.notifyScripts().master().orElseThrow().command()).isEqualTo("/usr/local/bin/group-master");
        assertThat(g.notifyScripts().any().orElseThrow().command()).isEqualTo("/usr/local/bin/group-any");
        assertThat(g.trackingWeight()).isTrue();
    }

    @Test
    void keepalivedDefaultsForAMinimalInstance() {
        AgentConfig c = valid(fx.parse("k.conf", "vrrp_instance VI_1 {\n" + ConfigFixture.INSTANCE_BASICS + "}\n"));
        VrrpInstance vi = c.instances().get(0);
        assertThat(vi.priority()).isEqualTo(100);
        assertThat(vi.initialState()).isEqualTo(InitialState.BACKUP);
        assertThat(vi.version()).isEqualTo(2);
        assertThat(vi.advertInterval()).hasSeconds(1);
        assertThat(vi.downTimerAdverts()).isEqualTo(3);
        assertThat(vi.preempt()).isTrue();
        assertThat(vi.multicastGroup()).isEqualTo(ip("224.0.0.18"));
        assertThat(vi.garp()).isEqualTo(GarpSettings.KEEPALIVED_DEFAULTS);
        assertThat(vi.accept()).isTrue();
        assertThat(vi.lowerPrioNoAdvert()).isFalse();
        assertThat(vi.higherPrioSendAdvert()).isFalse();
        assertThat(vi.sourceAddress()).isEmpty();
        assertThat(c.vigil()).isEqualTo(VigilSettings.DEFAULTS);
        assertThat(c.global().routerId()).isEmpty();
    }

    @Test
    void stateMasterWithoutPriorityIsTheAddressOwnerAsInKeepalived() {
        var r = fx.parse("k.conf", "vrrp_instance VI_1 {\n    state MASTER\n" + ConfigFixture.INSTANCE_BASICS + "}\n");
        assertThat(valid(r).instances().get(0).priority()).isEqualTo(255);
        assertThat(warnings(r)).containsExactly(fx.file("k.conf") + ":1: warning: vrrp_instance VI_1: state MASTER without a"
                + " priority makes this the address owner (priority 255), as in keepalived; give a priority if that is not meant");
    }

    @Test
    void priority255WithoutStateStartsAsMaster() {
        AgentConfig c = valid(fx.parse("k.conf", "vrrp_instance VI_1 {\n    priority 255\n" + ConfigFixture.INSTANCE_BASICS + "}\n"));
        assertThat(c.instances().get(0).initialState()).isEqualTo(InitialState.MASTER);
        assertThat(c.instances().get(0).isAddressOwner()).isTrue();
    }

    @Test
    void stateMasterDisablesNopreemptAndPreemptDelayWithWarnings() {
        var r = fx.parse("k.conf", "vrrp_instance VI_1 {\n    state MASTER\n    priority 200\n    nopreempt\n"
                + "    preempt_delay 10\n" + ConfigFixture.INSTANCE_BASICS + "}\n");
        VrrpInstance vi = valid(r).instances().get(0);
        assertThat(vi.preempt()).isTrue();
        assertThat(vi.preemptDelay()).isZero();
        assertThat(warnings(r)).containsExactly(
                fx.file("k.conf") + ":4: warning: vrrp_instance VI_1: nopreempt is ignored with state MASTER, as in keepalived;"
                        + " use state BACKUP on every node with nopreempt",
                fx.file("k.conf") + ":5: warning: vrrp_instance VI_1: preempt_delay is ignored with state MASTER, as in keepalived");
    }

    @Test
    void advertIntervalIsKeptInTheWireUnitOfTheVersion() {
        var v3 = fx.parse("b.conf", "vrrp_instance VI_1 {\n    version 3\n    advert_int 0.05\n" + ConfigFixture.INSTANCE_BASICS + "}\n");
        assertThat(valid(v3).instances().get(0).advertIntervalCentis()).isEqualTo(5);
        assertThat(valid(v3).instances().get(0).advertInterval()).isEqualTo(Duration.ofMillis(50));
        var v3max = fx.parse("c.conf", "vrrp_instance VI_1 {\n    version 3\n    advert_int 40.95\n" + ConfigFixture.INSTANCE_BASICS + "}\n");
        assertThat(valid(v3max).instances().get(0).advertIntervalCentis()).isEqualTo(4095);
    }

    @Test
    void scriptsWithoutScriptSecurityAreWarnedAbout() {
        var r = fx.parse("k.conf", "vrrp_script chk {\n    script /bin/true\n}\n");
        assertThat(warnings(r)).containsExactly(fx.file("k.conf") + ":2: warning: scripts are configured but global_defs"
                + " enable_script_security is not set: scripts writable by non-root users will still run, as keepalived warns");
    }

    @Test
    void strictModeChangesKeepalivedsDefaults() {
        AgentConfig c = valid(fx.parse("k.conf", "global_defs {\n    vrrp_strict\n}\nvrrp_instance VI_1 {\n"
                + ConfigFixture.INSTANCE_BASICS + "}\n"));
        VrrpInstance vi = c.instances().get(0);
        assertThat(vi.strictMode()).isTrue();
        assertThat(vi.accept()).isFalse();
        assertThat(vi.lowerPrioNoAdvert()).isTrue();
        assertThat(vi.garp().lowerPrioRepeat()).isZero();
    }

    @Test
    void smtpAlertIsAcceptedAndReportedAsNotSendingMail() {
        var r = fx.parse("k.conf", "vrrp_instance VI_1 {\n    smtp_alert\n" + ConfigFixture.INSTANCE_BASICS + "}\n");
        assertThat(valid(r).instances().get(0).smtpAlert()).isTrue();
        assertThat(warnings(r)).containsExactly(fx.file("k.conf")
                + ":2: warning: vrrp_instance VI_1: smtp_alert is accepted, but Vigil is not sending mail");
    }

    @Test
    void interfacesMissingOnThisHostAreWarnings() {
        Path f = fx.write("k.conf", """
                vrrp_instance VI_1 {
                    interface eth0
                    virtual_router_id 1
                    track_interface {
                        bond9 weight -10
                    }
                    virtual_ipaddress {
                        192.0.2.1/24 dev eth7
                    }
                }
                """);
        ConfigResult r = KeepalivedConfigParser.parse(f, Optional.empty(), name -> name.equals("eth0"));
        assertThat(valid(r).instances()).hasSize(1);
        assertThat(warnings(r)).containsExactly(
                f + ":5: warning: vrrp_instance VI_1: tracked interface bond9 does not exist on this host",
                f + ":8: warning: interface eth7 for vrrp_instance VI_1 address 192.0.2.1 does not exist on this host");
    }

    @Test
    void anInstanceThatOnlyMovedHasTheSameSettings() {
        String body = "vrrp_instance VI_1 {\n" + ConfigFixture.INSTANCE_BASICS + "}\n";
        VrrpInstance before = valid(fx.parse("a.conf", body)).instances().get(0);
        VrrpInstance moved = valid(fx.parse("b.conf", "\n\n! moved down\n" + body)).instances().get(0);
        VrrpInstance changed = valid(fx.parse("c.conf", body.replace("virtual_router_id 51", "virtual_router_id 52")))
                .instances().get(0);
        assertThat(moved).isNotEqualTo(before);
        assertThat(moved.sameSettingsAs(before)).isTrue();
        assertThat(changed.sameSettingsAs(before)).isFalse();
    }
}
