package dev.vigil.agent.config;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

import static dev.vigil.agent.config.ConfigFixture.errors;
import static dev.vigil.agent.config.ConfigFixture.formatted;
import static dev.vigil.agent.config.ConfigFixture.valid;
import static dev.vigil.agent.config.ConfigFixture.warnings;
import static org.assertj.core.api.Assertions.assertThat;

/** keepalived.conf's grammar: comments, quotes, braces, includes, definitions, conditional lines. */
@Timeout(30)
class ConfigGrammarTest {

    @TempDir
    Path tmp;
    ConfigFixture fx;

    @BeforeEach
    void setUp() {
        fx = new ConfigFixture(tmp);
    }

    private static String instance(String name, String body) {
        return "vrrp_instance " + name + " {\n" + ConfigFixture.INSTANCE_BASICS + body + "}\n";
    }

    // ------------------------------------------------------------------ comments and quotes

    @Test
    void bangAndHashCommentsAnywhereOutsideDoubleQuotes() {
        AgentConfig c = valid(fx.parse("k.conf", """
                ! a comment
                # another
                global_defs {   # trailing comment
                    router_id r#1
                }
                vrrp_script chk {
                    script "/bin/check --tag=a#b!c"   ! comment after a quoted string
                }
                """ + instance("VI_1", "")));
        assertThat(c.global().routerId()).contains("r"); // '#' starts a comment even inside a word, as in keepalived
        assertThat(c.script("chk").orElseThrow().script()).isEqualTo("/bin/check --tag=a#b!c");
    }

    @Test
    void backslashEscapesACommentCharacter() {
        AgentConfig c = valid(fx.parse("k.conf", "global_defs {\n router_id a\\#b\n}\n" + instance("VI_1", "")));
        assertThat(c.global().routerId()).contains("a#b");
    }

    @Test
    void quotesGroupWordsAndEscapesAreDecoded() {
        AgentConfig c = valid(fx.parse("k.conf", instance("VI_1", """
                notify_master "/usr/local/bin/notify master \\"x\\"" 'pg:postgres'
                notify 'a b'"c d"
                """)));
        NotifyScripts n = c.instance("VI_1").orElseThrow().notifyScripts();
        assertThat(n.master().orElseThrow().command()).isEqualTo("/usr/local/bin/notify master \"x\"");
        assertThat(n.master().orElseThrow().user()).contains(new ScriptUser("pg", Optional.of("postgres")));
        assertThat(n.any().orElseThrow().command()).isEqualTo("a bc d"); // adjacent quoted parts join
    }

    @Test
    void unterminatedQuoteIsAnErrorAtItsLine() {
        var r = fx.parse("k.conf", instance("VI_1", "    notify_master \"/bin/x\n"));
        assertThat(errors(r)).containsExactly(fx.file("k.conf") + ":7: error: missing closing \" (unterminated quoted string)");
    }

    // ------------------------------------------------------------------ braces

    @Test
    void openingBraceOnTheNextLineAndWholeBlocksOnOneLine() {
        AgentConfig c = valid(fx.parse("k.conf", """
                vrrp_script chk
                {
                    script /bin/true
                }
                vrrp_instance VI_1
                {
                    interface eth0
                    virtual_router_id 7
                    virtual_ipaddress { 192.0.2.1/24 }
                    track_script { chk weight -20 }
                    authentication { auth_type PASS
                        auth_pass secret }
                }
                vrrp_instance VI_2 { interface eth1
                virtual_router_id 8 } vrrp_sync_group G { group { VI_1 VI_2 } sync_group_tracking_weight }
                """));
        VrrpInstance vi1 = c.instance("VI_1").orElseThrow();
        assertThat(vi1.trackScripts()).containsExactly(new TrackedScript("chk", -20, false));
        assertThat(vi1.authentication()).contains(new PassAuthentication("secret"));
        assertThat(vi1.virtualAddresses()).extracting(VirtualAddress::prefixLength).containsExactly(24);
        assertThat(c.instance("VI_2").orElseThrow().virtualRouterId()).isEqualTo(8);
        assertThat(c.syncGroup("G").orElseThrow().members()).containsExactly("VI_1", "VI_2");
    }

    @Test
    void wordsUpToABraceAreOneStatementAsInKeepalived() {
        // keepalived splits lines at braces only: two addresses on one line are one address with options
        var r = fx.parse("k.conf", "vrrp_instance VI_1 {\n interface eth0\n virtual_router_id 1\n"
                + " virtual_ipaddress { 192.0.2.1/24 192.0.2.254 }\n}\n");
        assertThat(errors(r)).containsExactly(fx.file("k.conf")
                + ":4: error: vrrp_instance VI_1: virtual_ipaddress 192.0.2.1/24: unknown address option '192.0.2.254'");
    }

    @Test
    void unbalancedBracesAreErrorsWithTheirLines() {
        var missing = fx.parse("a.conf", "vrrp_instance VI_1 {\n    interface eth0\n");
        assertThat(errors(missing)).contains(fx.file("a.conf") + ":1: error: block opened here is never closed (missing '}')");
        var extra = fx.parse("b.conf", instance("VI_1", "") + "}\n");
        assertThat(errors(extra)).containsExactly(fx.file("b.conf") + ":8: error: '}' closes no open block");
        var orphan = fx.parse("c.conf", "{\n}\n");
        assertThat(errors(orphan)).containsExactly(fx.file("c.conf") + ":1: error: '{' has no keyword before it");
    }

    // ------------------------------------------------------------------ include

    @Test
    void includeGlobsAreRelativeToTheIncludingFileAndSorted() {
        fx.write("conf.d/20-vi2.conf", instance("VI_2", "    priority 120\n").replace("virtual_router_id 51", "virtual_router_id 52"));
        fx.write("conf.d/10-vi1.conf", instance("VI_1", "    priority 110\n") + "include ../scripts/*.conf\n");
        fx.write("scripts/chk.conf", "vrrp_script chk {\n script /bin/true\n}\n");
        fx.write("conf.d/notes.txt", "this is not a config file {\n");
        Path main = fx.write("etc/keepalived.conf", "include ../conf.d/*.conf\n");
        AgentConfig c = valid(fx.parse(main));
        assertThat(c.instances()).extracting(VrrpInstance::name).containsExactly("VI_1", "VI_2");
        assertThat(c.scripts()).extracting(VrrpScript::name).containsExactly("chk");
        assertThat(c.instance("VI_2").orElseThrow().declaredAt())
                .isEqualTo(new SourcePos(tmp.resolve("etc/../conf.d/20-vi2.conf").normalize().toString(), 1));
    }

    @Test
    void findingsInIncludedFilesNameThatFile() {
        fx.write("inc/bad.conf", "\n\nvrrp_instance VI_1 {\n interface eth0\n virtual_router_id 300\n}\n");
        var r = fx.parse("main.conf", "include inc/bad.conf\n");
        assertThat(errors(r)).contains(fx.file("inc/bad.conf") + ":5: error: vrrp_instance VI_1: virtual_router_id 300 is out of range 1..255");
    }

    @Test
    void includeCyclesAreRefused() {
        fx.write("b.conf", "include a.conf\n");
        var r = fx.parse("a.conf", "\ninclude b.conf\n");
        assertThat(errors(r)).containsExactly(fx.file("b.conf")
                + ":1: error: include cycle: " + fx.file("a.conf") + " is already being read; refusing to include it again");
    }

    @Test
    void selfIncludeThroughAGlobIsACycle() {
        var r = fx.parse("a.conf", "include *.conf\n");
        assertThat(errors(r)).containsExactly(fx.file("a.conf")
                + ":1: error: include cycle: " + fx.file("a.conf") + " is already being read; refusing to include it again");
    }

    @Test
    void missingIncludeIsAnErrorButAnEmptyGlobOnlyAWarning() {
        var r = fx.parse("a.conf", "include nothere.conf\ninclude none/*.conf\n" + instance("VI_1", ""));
        assertThat(formatted(r)).containsExactly(
                fx.file("a.conf") + ":1: error: included file " + fx.file("nothere.conf") + " does not exist",
                fx.file("a.conf") + ":2: warning: include pattern 'none/*.conf' matched no file");
    }

    @Test
    void executableIncludedFilesAreSkippedAsKeepalivedDoes() throws Exception {
        Path x = fx.write("x.conf", "vrrp_instance BAD {\n}\n");
        Files.setPosixFilePermissions(x, PosixFilePermissions.fromString("rwxr-xr-x"));
        var r = fx.parse("a.conf", "include x.conf\n" + instance("VI_1", ""));
        assertThat(warnings(r)).containsExactly(fx.file("a.conf") + ":1: warning: included file " + x
                + " is executable; keepalived skips executable config files, so Vigil does too");
        assertThat(valid(r).instances()).extracting(VrrpInstance::name).containsExactly("VI_1");
    }

    @Test
    void unreadableMainFileIsAnError() {
        var r = fx.parse(tmp.resolve("absent.conf"));
        assertThat(formatted(r)).containsExactly(tmp.resolve("absent.conf") + ": error: cannot read configuration file: no such file");
    }

    // ------------------------------------------------------------------ $definitions

    @Test
    void definitionsAreSubstitutedWithAndWithoutBraces() {
        AgentConfig c = valid(fx.parse("k.conf", """
                $IF=eth1
                $PRIO=150
                $VIP=192.0.2.77
                vrrp_instance VI_1 {
                    interface $IF
                    priority ${PRIO}
                    virtual_router_id 9
                    virtual_ipaddress {
                        ${VIP}/24 dev $IF label ${IF}:vip
                    }
                    notify_master "/bin/echo $HOME"
                }
                """));
        VrrpInstance vi = c.instance("VI_1").orElseThrow();
        assertThat(vi.interfaceName()).contains("eth1");
        assertThat(vi.priority()).isEqualTo(150);
        assertThat(vi.virtualAddresses().get(0).label()).contains("eth1:vip");
        assertThat(vi.notifyScripts().master().orElseThrow().command()).isEqualTo("/bin/echo $HOME"); // undefined: left as written
    }

    @Test
    void aBlankBeforeTheEqualsSignIsNoDefinitionAsInKeepalived() {
        var r = fx.parse("k.conf", "$VRID = 51\n" + instance("VI_1", ""));
        assertThat(formatted(r)).containsExactly(fx.file("k.conf") + ":1: warning: unknown keyword '$VRID'");
    }

    @Test
    void multiLineDefinitionsExpandToSeveralLines() {
        AgentConfig c = valid(fx.parse("k.conf", """
                $COMMON=interface eth0 \\
                    advert_int 2 \\
                    priority 120
                vrrp_instance VI_1 {
                    $COMMON
                    virtual_router_id 9
                    virtual_ipaddress {
                        192.0.2.1
                    }
                }
                """));
        VrrpInstance vi = c.instance("VI_1").orElseThrow();
        assertThat(vi.interfaceName()).contains("eth0");
        assertThat(vi.advertInterval()).hasSeconds(2);
        assertThat(vi.priority()).isEqualTo(120);
    }

    @Test
    void aDefinitionUsingItselfIsStopped() {
        var r = fx.parse("k.conf", "$A=x $A\nglobal_defs {\n router_id $A\n}\n");
        assertThat(errors(r)).containsExactly(fx.file("k.conf")
                + ":3: error: $definitions expand more than 64 times on this line (a definition that uses itself?)");
    }

    @Test
    void lineContinuationOutsideADefinitionIsAnError() {
        var r = fx.parse("k.conf", "global_defs {\n router_id a \\\n}\n");
        assertThat(errors(r)).containsExactly(fx.file("k.conf")
                + ":2: error: line ends with '\\' but only a $definition may continue on the next line");
    }

    @Test
    void seqGeneratorsAreRefused() {
        var r = fx.parse("k.conf", "~SEQ(i, 1, 3) vrrp_instance VI_$i { }\n");
        assertThat(errors(r)).containsExactly(fx.file("k.conf")
                + ":1: error: keepalived's ~SEQ line generator is not supported by Vigil; write the generated lines out");
    }

    // ------------------------------------------------------------------ @conditional lines

    @Test
    void conditionalLinesFollowTheConfigId() {
        String conf = """
                vrrp_instance VI_1 {
                    interface eth0
                    virtual_router_id 1
                @high    priority 170
                @low     priority 85
                @^high   advert_int 3
                    virtual_ipaddress {
                        192.0.2.1
                    }
                }
                """;
        Path file = fx.write("k.conf", conf);
        VrrpInstance high = valid(KeepalivedConfigParser.parse(file, Optional.of("high"))).instances().get(0);
        VrrpInstance low = valid(KeepalivedConfigParser.parse(file, Optional.of("low"))).instances().get(0);
        VrrpInstance none = valid(KeepalivedConfigParser.parse(file, Optional.empty())).instances().get(0);
        assertThat(high.priority()).isEqualTo(170);
        assertThat(high.advertInterval()).hasSeconds(1);
        assertThat(low.priority()).isEqualTo(85);
        assertThat(low.advertInterval()).hasSeconds(3);
        assertThat(none.priority()).isEqualTo(100);
        assertThat(none.advertInterval()).hasSeconds(3);
    }

    // ------------------------------------------------------------------ unknown keywords

    @Test
    void unknownKeywordsAreWarningsWithASuggestionAndTheirBlockIsSkipped() {
        var r = fx.parse("k.conf", instance("VI_1", "    priorty 150\n    frobnicate {\n        priority 1\n    }\n"));
        assertThat(formatted(r)).containsExactly(
                fx.file("k.conf") + ":7: warning: vrrp_instance VI_1: unknown keyword 'priorty' (did you mean 'priority'?)",
                fx.file("k.conf") + ":8: warning: vrrp_instance VI_1: unknown keyword 'frobnicate'; its block is skipped");
        assertThat(valid(r).instances().get(0).priority()).isEqualTo(100);
    }

    // ------------------------------------------------------------------ the grammar cases keepalived also reads

    private static AgentConfig grammarCase(String name) throws Exception {
        Path p = Path.of(ConfigGrammarTest.class.getResource("/config/grammar/" + name).toURI());
        return valid(KeepalivedConfigParser.parse(p, Optional.empty()));
    }

    @Test
    void grammarCasesReadAsKeepalivedReadsThem() throws Exception {
        AgentConfig braces = grammarCase("braces.conf");
        assertThat(braces.instances()).extracting(VrrpInstance::virtualRouterId).containsExactly(51, 52);
        assertThat(braces.syncGroup("G").orElseThrow().members()).containsExactly("VI_1", "VI_2");
        AgentConfig comments = grammarCase("comments-quotes.conf");
        assertThat(comments.global().routerId()).contains("node");
        assertThat(comments.instances().get(0).virtualAddresses().get(0).label()).contains("eth0:v#1");
        AgentConfig defs = grammarCase("definitions.conf");
        assertThat(defs.instances().get(0).virtualAddresses()).extracting(v -> IpLiteral.format(v.address()))
                .containsExactly("192.0.2.10", "192.0.2.11");
        AgentConfig cond = grammarCase("conditionals.conf");
        assertThat(cond.instances().get(0).priority()).isEqualTo(100);
        assertThat(cond.instances().get(0).virtualRouterId()).isEqualTo(51);
        AgentConfig inc = grammarCase("include-glob.conf");
        assertThat(inc.instances().get(0).priority()).isEqualTo(150);
    }
}
