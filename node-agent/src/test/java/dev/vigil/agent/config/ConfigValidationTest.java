package dev.vigil.agent.config;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static dev.vigil.agent.config.ConfigFixture.errors;
import static org.assertj.core.api.Assertions.assertThat;

/** Every class of error, with its exact file:line and message; an erroneous file yields no config. */
@Timeout(30)
class ConfigValidationTest {

    @TempDir
    Path tmp;
    ConfigFixture fx;

    @BeforeEach
    void setUp() {
        fx = new ConfigFixture(tmp);
    }

    /** Parses {@code conf} and asserts it is refused with exactly these errors ("LINE: message"). */
    private void refused(String conf, String... lineAndMessage) {
        ConfigResult r = fx.parse("k.conf", conf);
        assertThat(r).as("findings: %s", r.findings()).isInstanceOf(ConfigResult.Invalid.class);
        String prefix = fx.file("k.conf") + ":";
        assertThat(errors(r)).containsExactly(java.util.Arrays.stream(lineAndMessage)
                .map(m -> prefix + m.replaceFirst(": ", ": error: ")).toArray(String[]::new));
    }

    private static String vi(String body) {
        return "vrrp_instance VI_1 {\n" + body + "}\n";
    }

    private static final String IFACE_VRID = "    interface eth0\n    virtual_router_id 1\n";
    private static final String VIPS = "    virtual_ipaddress {\n        192.0.2.1\n    }\n";

    // ------------------------------------------------------------------ syntax

    @Test
    void missingValue() {
        refused(vi(IFACE_VRID + "    priority\n" + VIPS), "4: vrrp_instance VI_1: 'priority' needs a value");
    }

    @Test
    void extraValue() {
        refused(vi(IFACE_VRID + "    state BACKUP priority 100\n" + VIPS),
                "4: vrrp_instance VI_1: unexpected extra value 'priority' after 'state BACKUP'");
    }

    @Test
    void blockWhereNoneIsTaken() {
        refused(vi(IFACE_VRID + "    priority 100 {\n    }\n" + VIPS), "4: vrrp_instance VI_1: 'priority' takes no '{ }' block");
    }

    @Test
    void blockMissingWhereOneIsNeeded() {
        refused(vi(IFACE_VRID + "    virtual_ipaddress 192.0.2.1\n"),
                "4: vrrp_instance VI_1: 'virtual_ipaddress' needs a '{ }' block");
    }

    @Test
    void instanceWithoutName() {
        refused("vrrp_instance {\n" + IFACE_VRID + VIPS + "}\n", "1: vrrp_instance: needs exactly one name");
    }

    // ------------------------------------------------------------------ values

    @Test
    void priorityOutOfRange() {
        refused(vi(IFACE_VRID + "    priority 0\n" + VIPS), "4: vrrp_instance VI_1: priority 0 is out of range 1..255");
        refused(vi(IFACE_VRID + "    priority 256\n" + VIPS), "4: vrrp_instance VI_1: priority 256 is out of range 1..255");
        refused(vi(IFACE_VRID + "    priority high\n" + VIPS), "4: vrrp_instance VI_1: priority 'high' is not a whole number");
    }

    @Test
    void vridOutOfRangeOrMissing() {
        refused(vi("    interface eth0\n    virtual_router_id 256\n" + VIPS),
                "3: vrrp_instance VI_1: virtual_router_id 256 is out of range 1..255");
        refused(vi("    interface eth0\n" + VIPS), "1: vrrp_instance VI_1: virtual_router_id is missing");
    }

    @Test
    void advertIntervalOutOfRange() {
        refused(vi(IFACE_VRID + "    advert_int 0\n" + VIPS), "4: vrrp_instance VI_1: advert_int 0 is out of range 0.01..255 s");
        refused(vi(IFACE_VRID + "    advert_int 256\n" + VIPS), "4: vrrp_instance VI_1: advert_int 256 is out of range 0.01..255 s");
        refused(vi(IFACE_VRID + "    advert_int 1s\n" + VIPS), "4: vrrp_instance VI_1: advert_int '1s' is not a number of seconds");
        refused(vi(IFACE_VRID + "    version 3\n    advert_int 41\n" + VIPS),
                "5: vrrp_instance VI_1: advert_int 41 s is above VRRP version 3's maximum of 40.95 s");
    }

    @Test
    void advertIntervalThatTheWireCannotCarry() {
        refused(vi(IFACE_VRID + "    advert_int 1.5\n" + VIPS), "4: vrrp_instance VI_1: advert_int 1.5 s is not a whole"
                + " number of seconds, which VRRP version 2 needs (keepalived would round it to 2 s)");
        refused(vi(IFACE_VRID + "    version 3\n    advert_int 0.123\n" + VIPS), "5: vrrp_instance VI_1: advert_int"
                + " 0.123 s is not a multiple of 0.01 s, which VRRP version 3 needs (keepalived would round it to 0.12 s)");
    }

    @Test
    void badAddresses() {
        refused(vi(IFACE_VRID + "    virtual_ipaddress {\n        192.0.2.300/24\n    }\n"),
                "5: vrrp_instance VI_1: virtual_ipaddress: '192.0.2.300/24' is not an IP address");
        refused(vi(IFACE_VRID + "    virtual_ipaddress {\n        192.0.2.3/33\n    }\n"),
                "5: vrrp_instance VI_1: virtual_ipaddress 192.0.2.3 prefix length 33 is out of range 0..32");
        refused(vi(IFACE_VRID + "    unicast_src_ip db-1.example\n" + VIPS),
                "4: vrrp_instance VI_1: unicast_src_ip 'db-1.example' is not an IPv4 or IPv6 address");
        refused(vi(IFACE_VRID + "    unicast_peer {\n        192.0.2.9 ttl 3\n    }\n" + VIPS),
                "5: vrrp_instance VI_1: unicast_peer 192.0.2.9: unexpected 'ttl' (expected min_ttl N or max_ttl N)");
        refused(vi(IFACE_VRID + "    virtual_ipaddress {\n        192.0.2.3 scope galaxy\n    }\n"),
                "5: vrrp_instance VI_1: virtual_ipaddress 192.0.2.3: scope 'galaxy' is not one of global, site, link, host, nowhere");
    }

    @Test
    void trackInterfaceWeightOutOfRange() {
        refused(vi(IFACE_VRID + VIPS + "    track_interface {\n        eth1 weight 254\n    }\n"),
                "8: vrrp_instance VI_1: track_interface eth1 weight 254 is out of range -253..253");
    }

    @Test
    void badState() {
        refused(vi(IFACE_VRID + "    state PRIMARY\n" + VIPS), "4: vrrp_instance VI_1: state 'PRIMARY' is neither MASTER nor BACKUP");
    }

    @Test
    void scriptValues() {
        refused("vrrp_script chk {\n    script /bin/true\n    weight 300\n    rise 0\n}\n",
                "3: vrrp_script chk: weight 300 is out of range -253..253",
                "4: vrrp_script chk: rise 0 is out of range 1..2147483647");
        refused("vrrp_script chk {\n    interval 2\n}\n", "1: vrrp_script chk: no 'script' given");
    }

    // ------------------------------------------------------------------ references to nothing

    @Test
    void trackScriptNamingNoScript() {
        refused(vi(IFACE_VRID + VIPS + "    track_script {\n        chk_nothing\n    }\n"),
                "8: vrrp_instance VI_1: track_script 'chk_nothing' names no vrrp_script");
    }

    @Test
    void trackFileNamingNoTrackFile() {
        refused(vi(IFACE_VRID + VIPS + "    track_file {\n        nothing weight 2\n    }\n"),
                "8: vrrp_instance VI_1: track_file 'nothing' names no vrrp_track_file");
    }

    @Test
    void syncGroupNamingNoInstanceAndInstanceInTwoGroups() {
        refused(vi(IFACE_VRID + VIPS) + """
                vrrp_sync_group G1 {
                    group {
                        VI_1
                        VI_9
                    }
                }
                vrrp_sync_group G2 {
                    group {
                        VI_1
                    }
                }
                """,
                "11: vrrp_sync_group G1: group member 'VI_9' names no vrrp_instance",
                "16: vrrp_sync_group G2: VI_1 is already in vrrp_sync_group G1; an instance can be in one sync group only");
    }

    // ------------------------------------------------------------------ conflicts

    @Test
    void trackerWeightsThatKeepalivedWouldDrop() {
        String scripts = "vrrp_script chk {\n    script /bin/true\n    weight -20\n}\n"; // lines 1-4
        refused(scripts + vi(IFACE_VRID + VIPS + "    track_script {\n        chk\n    }\n"
                        + "    track_interface {\n        eth1 weight 5\n    }\n")
                        + "vrrp_sync_group G {\n    group {\n        VI_1\n    }\n}\n",
                "12: vrrp_instance VI_1: track_script 'chk' has weight -20, but in vrrp_sync_group G weights are ignored"
                        + " unless the group sets sync_group_tracking_weight (keepalived drops it); use weight 0, so that"
                        + " a failure means FAULT",
                "15: vrrp_instance VI_1: track_interface 'eth1' has weight 5, but in vrrp_sync_group G weights are ignored"
                        + " unless the group sets sync_group_tracking_weight (keepalived drops it); use weight 0, so that"
                        + " a failure means FAULT");
        refused(scripts + vi(IFACE_VRID + "    priority 255\n" + VIPS + "    track_script {\n        chk weight 10\n    }\n"),
                "13: vrrp_instance VI_1: track_script 'chk' has weight 10, but the address owner (priority 255) never"
                        + " changes its priority (keepalived drops it); use weight 0, so that a failure means FAULT");
    }

    @Test
    void groupTrackersReachEveryMemberAndAWeightedOneIsRefusedWithAnAddressOwner() {
        String scripts = "vrrp_script chk {\n    script /bin/true\n}\n"; // lines 1-3
        String group = "vrrp_sync_group G {\n    group {\n        VI_1\n    }\n"
                + "    track_script {\n        chk weight -20\n    }\n}\n";
        refused(scripts + vi(IFACE_VRID + "    priority 255\n" + VIPS) + group,
                "17: vrrp_sync_group G: track_script 'chk' has weight -20, but member VI_1 is the address owner"
                        + " (priority 255), whose priority never changes (keepalived clears the weight); use weight 0,"
                        + " so that a failure means FAULT");
        ConfigResult r = fx.parse("k.conf", scripts + vi(IFACE_VRID + VIPS + "    track_script {\n        chk\n    }\n")
                + group.replace("chk weight -20", "chk"));
        assertThat(ConfigFixture.valid(r).instance("VI_1").orElseThrow().trackScripts())
                .containsExactly(new TrackedScript("chk", 0, false));
        assertThat(ConfigFixture.warnings(r)).contains(fx.file("k.conf") + ":19: warning: vrrp_sync_group G:"
                + " track_script 'chk' is also tracked by member VI_1; the group's entry applies (unless the member's"
                + " has weight 0), as keepalived does: remove one");
    }

    @Test
    void duplicateVridOnTheSameInterfaceAndFamily() {
        refused(vi(IFACE_VRID + VIPS) + "vrrp_instance VI_2 {\n" + IFACE_VRID
                        + "    virtual_ipaddress {\n        192.0.2.2\n    }\n}\n",
                "8: vrrp_instance VI_2: virtual_router_id 1 is already used by vrrp_instance VI_1 ("
                        + fx.file("k.conf") + ":1) on eth0 for IPv4");
    }

    @Test
    void sameVridOnOtherInterfaceOrFamilyIsFine() {
        String conf = vi(IFACE_VRID + VIPS)
                + "vrrp_instance VI_2 {\n    interface eth1\n    virtual_router_id 1\n" + VIPS + "}\n"
                + "vrrp_instance VI_3 {\n" + IFACE_VRID + "    virtual_ipaddress {\n        2001:db8::1\n    }\n}\n";
        assertThat(ConfigFixture.valid(fx.parse("k.conf", conf)).instances()).hasSize(3);
    }

    @Test
    void moreThan255VirtualAddresses() {
        String many = IntStream.range(0, 256).mapToObj(i -> "        10.0." + (i / 250) + "." + (i % 250 + 1) + "\n")
                .collect(Collectors.joining());
        refused(vi(IFACE_VRID + "    virtual_ipaddress {\n" + many + "    }\n"),
                "4: vrrp_instance VI_1: virtual_ipaddress lists 256 addresses; an advert carries at most 255"
                        + " (put the rest in virtual_ipaddress_excluded)");
    }

    @Test
    void authenticationOnVersion3() {
        refused(vi(IFACE_VRID + "    version 3\n" + VIPS + "    authentication {\n        auth_type PASS\n"
                        + "        auth_pass x\n    }\n"),
                "8: vrrp_instance VI_1: VRRP version 3 has no authentication (RFC 5798); remove the authentication"
                        + " block or use version 2");
    }

    @Test
    void authenticationThatCannotWork() {
        refused(vi(IFACE_VRID + VIPS + "    authentication {\n        auth_type AH\n        auth_pass x\n    }\n"),
                "7: vrrp_instance VI_1: auth_type AH (IPsec AH) is not supported; peers using it would reject Vigil's adverts");
        refused(vi(IFACE_VRID + VIPS + "    authentication {\n        auth_type PASS\n    }\n"),
                "7: vrrp_instance VI_1: auth_type PASS without auth_pass");
    }

    @Test
    void nopreemptOnTheAddressOwner() {
        refused(vi(IFACE_VRID + "    priority 255\n    state BACKUP\n    nopreempt\n" + VIPS),
                "6: vrrp_instance VI_1: nopreempt cannot be used by the address owner (priority 255), which always takes over");
    }

    @Test
    void mixedFamiliesInOneAddressList() {
        refused(vi(IFACE_VRID + "    virtual_ipaddress {\n        192.0.2.1\n        2001:db8::1\n    }\n"),
                "6: vrrp_instance VI_1: virtual_ipaddress mixes IPv4 and IPv6 (2001:db8::1 after 192.0.2.1); an advert"
                        + " carries one family: use another instance or virtual_ipaddress_excluded");
    }

    @Test
    void ipv6WithVersion2() {
        refused(vi(IFACE_VRID + "    version 2\n    virtual_ipaddress {\n        2001:db8::1\n    }\n"),
                "4: vrrp_instance VI_1: VRRP version 2 has no IPv6; IPv6 instances use version 3");
    }

    @Test
    void noAddressWithVersion3() {
        refused(vi(IFACE_VRID + "    version 3\n"),
                "1: vrrp_instance VI_1: no virtual_ipaddress; at least one is required with VRRP version 3");
    }

    @Test
    void noInterfaceForAMulticastInstance() {
        refused(vi("    virtual_router_id 1\n" + VIPS), "1: vrrp_instance VI_1: no 'interface' (needed for multicast adverts)");
    }

    @Test
    void strictModeRefusesWhatTheRfcForbids() {
        refused("global_defs {\n    vrrp_strict\n}\n" + vi(IFACE_VRID + VIPS
                        + "    unicast_peer {\n        192.0.2.5\n    }\n    authentication {\n        auth_type PASS\n"
                        + "        auth_pass x\n    }\n"),
                "4: vrrp_instance VI_1: strict mode does not allow unicast_peer",
                "13: vrrp_instance VI_1: strict mode does not allow authentication");
    }

    @Test
    void duplicateNames() {
        refused(vi(IFACE_VRID + VIPS) + vi(IFACE_VRID + VIPS),
                "8: vrrp_instance VI_1: defined twice (first at " + fx.file("k.conf") + ":1)");
    }

    // ------------------------------------------------------------------ unsupported failover keywords

    @Test
    void unsupportedKeywordThatWouldChangeFailoverIsAnError() {
        refused(vi(IFACE_VRID + VIPS + "    track_process {\n        pg_proc\n    }\n"),
                "7: vrrp_instance VI_1: 'track_process' is not supported: track_process is not supported yet, and"
                        + " without it this instance would not lose priority when the process dies");
    }

    @Test
    void unsupportedKeywordThatDoesNotChangeFailoverIsAWarning() {
        ConfigResult r = fx.parse("k.conf", "global_defs {\n    enable_snmp_vrrp\n}\nvirtual_server 10.0.0.1 80 {\n"
                + "    lb_kind DR\n    real_server 10.0.0.2 80 {\n    }\n}\n" + vi(IFACE_VRID + VIPS));
        assertThat(ConfigFixture.warnings(r)).containsExactly(
                fx.file("k.conf") + ":2: warning: global_defs: 'enable_snmp_vrrp' is ignored: SNMP is not supported;"
                        + " Vigil exports Prometheus metrics instead",
                fx.file("k.conf") + ":4: warning: virtual_server 10.0.0.1:80: not served (lb_kind DR; see the warnings"
                        + " above)",
                fx.file("k.conf") + ":5: warning: virtual_server 10.0.0.1:80: 'lb_kind' DR is not supported: it needs"
                        + " IPVS, which Vigil does not drive; Vigil forwards as a TCP proxy, 'lb_kind PROXY' (see"
                        + " docs/load-balancing.md)");
        assertThat(r).isInstanceOf(ConfigResult.Valid.class);
    }

    // ------------------------------------------------------------------ vigil block

    @Test
    void vigilBlockIsStrict() {
        refused("vigil {\n    agent-id x\n    coordinator ftp://c.example\n    state_dir var/lib\n}\n" + vi(IFACE_VRID + VIPS),
                "2: vigil: unknown keyword 'agent-id' (did you mean 'agent_id'?)",
                "3: vigil: coordinator 'ftp://c.example' must be an http:// or https:// URL with a host",
                "4: vigil: state_dir 'var/lib' must be an absolute path");
    }

    @Test
    void findingsFormat() {
        Finding e = new Finding(Finding.Severity.ERROR, "/etc/keepalived/keepalived.conf", 12, "bad");
        Finding w = new Finding(Finding.Severity.WARNING, "x.conf", 3, "meh");
        assertThat(e.format()).isEqualTo("/etc/keepalived/keepalived.conf:12: error: bad");
        assertThat(w.format()).isEqualTo("x.conf:3: warning: meh");
    }
}
