package dev.vigil.agent.daemon;

import dev.vigil.agent.config.AgentConfig;
import dev.vigil.agent.config.ConfigResult;
import dev.vigil.agent.config.KeepalivedConfigParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Which instances a reload keeps, restarts, removes and adds; which checks stop and start. */
@Timeout(30)
class ConfigReloadTest {
    @TempDir
    Path tmp;
    int files;

    AgentConfig parse(String text) throws Exception {
        Path f = Files.writeString(tmp.resolve("keepalived-" + (files++) + ".conf"), text);
        ConfigResult r = KeepalivedConfigParser.parse(f, Optional.empty());
        assertThat(r).as("findings: %s", r.findings()).isInstanceOf(ConfigResult.Valid.class);
        return ((ConfigResult.Valid) r).config();
    }

    static String instance(String name, int vrid, int priority, String extra) {
        return """
                vrrp_instance %s {
                  interface eth0
                  virtual_router_id %d
                  priority %d
                  advert_int 1
                  %s
                  virtual_ipaddress {
                    192.0.2.%d/24
                  }
                }
                """.formatted(name, vrid, priority, extra, vrid);
    }

    static final String SCRIPT = """
            vrrp_script chk {
              script "/bin/true"
              interval 1
              weight -20
            }
            """;

    @Test
    void theSameFileChangesNothing() throws Exception {
        String text = SCRIPT + instance("A", 1, 100, "track_script {\n chk\n }") + instance("B", 2, 100, "");
        ConfigReload r = ConfigReload.plan(parse(text), parse(text));
        assertThat(r.changesNothing()).isTrue();
        assertThat(r.kept()).containsExactly("A", "B");
        assertThat(r.retiredChecks()).isEmpty();
        assertThat(r.newChecks()).isEmpty();
    }

    @Test
    void anInstanceThatOnlyMovedIsKept() throws Exception {
        AgentConfig before = parse(instance("A", 1, 100, "") + instance("B", 2, 100, ""));
        AgentConfig after = parse("# a comment that moves every line\n\n" + instance("B", 2, 100, "") + instance("A", 1, 100, ""));
        ConfigReload r = ConfigReload.plan(before, after);
        assertThat(r.changesNothing()).isTrue();
        assertThat(r.kept()).containsExactly("A", "B");
    }

    @Test
    void aChangedInstanceRestartsAndSaysWhatChanged() throws Exception {
        AgentConfig before = parse(instance("A", 1, 100, "") + instance("B", 2, 100, ""));
        AgentConfig after = parse(instance("A", 1, 100, "") + instance("B", 2, 150, ""));
        ConfigReload r = ConfigReload.plan(before, after);
        assertThat(r.kept()).containsExactly("A");
        assertThat(r.restarted()).containsExactly(new ConfigReload.Restart("B", "priority"));
        assertThat(r.stopping()).containsExactly("B");
        assertThat(r.starting(after)).containsExactly("B");
        assertThat(r.changesNothing()).isFalse();
    }

    @Test
    void removedAndAddedInstances() throws Exception {
        AgentConfig before = parse(instance("A", 1, 100, "") + instance("B", 2, 100, ""));
        AgentConfig after = parse(instance("C", 3, 100, "") + instance("A", 1, 100, ""));
        ConfigReload r = ConfigReload.plan(before, after);
        assertThat(r.kept()).containsExactly("A");
        assertThat(r.removed()).containsExactly("B");
        assertThat(r.added()).containsExactly("C");
        assertThat(r.stopping()).containsExactly("B");
        assertThat(r.starting(after)).containsExactly("C");
    }

    @Test
    void aChangedScriptRestartsTheInstancesTrackingItAndItsCheck() throws Exception {
        String track = "track_script {\n chk\n }";
        AgentConfig before = parse(SCRIPT + instance("A", 1, 100, track) + instance("B", 2, 100, ""));
        AgentConfig after = parse(SCRIPT.replace("interval 1", "interval 2")
                + instance("A", 1, 100, track) + instance("B", 2, 100, ""));
        ConfigReload r = ConfigReload.plan(before, after);
        assertThat(r.kept()).containsExactly("B");
        assertThat(r.restarted()).containsExactly(new ConfigReload.Restart("A", "vrrp_script chk"));
        assertThat(r.retiredChecks()).containsExactly(ConfigReload.checkName(false, "chk"));
        assertThat(r.newChecks()).containsExactly(ConfigReload.checkName(false, "chk"));
    }

    @Test
    void aScriptNoLongerTrackedStopsAndANewlyTrackedOneStarts() throws Exception {
        String other = """
                vrrp_script other {
                  script "/bin/false"
                }
                """;
        AgentConfig before = parse(SCRIPT + other + instance("A", 1, 100, "track_script {\n chk\n }"));
        AgentConfig after = parse(SCRIPT + other + instance("A", 1, 100, "track_script {\n other\n }"));
        ConfigReload r = ConfigReload.plan(before, after);
        assertThat(r.restarted()).extracting(ConfigReload.Restart::name).containsExactly("A");
        assertThat(r.restarted().get(0).why()).contains("trackScripts");
        assertThat(r.retiredChecks()).containsExactly(ConfigReload.checkName(false, "chk"));
        assertThat(r.newChecks()).containsExactly(ConfigReload.checkName(false, "other"));
    }

    @Test
    void aNewInstanceTrackingARunningScriptLeavesItsCheckRunning() throws Exception {
        String track = "track_script {\n chk\n }";
        AgentConfig before = parse(SCRIPT + instance("A", 1, 100, track));
        AgentConfig after = parse(SCRIPT + instance("A", 1, 100, track) + instance("B", 2, 100, track));
        ConfigReload r = ConfigReload.plan(before, after);
        assertThat(r.kept()).containsExactly("A");
        assertThat(r.added()).containsExactly("B");
        assertThat(r.retiredChecks()).isEmpty();
        assertThat(r.newChecks()).isEmpty();
    }

    @Test
    void garpSpacingRestartsOnlyTheFamilyItSpaces() throws Exception {
        String v6 = """
                vrrp_instance S {
                  interface eth0
                  virtual_router_id 9
                  priority 100
                  virtual_ipaddress {
                    2001:db8::9/64
                  }
                }
                """;
        AgentConfig before = parse(instance("A", 1, 100, "") + v6);
        AgentConfig after = parse("global_defs {\n vrrp_garp_interval 0.01\n}\n" + instance("A", 1, 100, "") + v6);
        ConfigReload r = ConfigReload.plan(before, after);
        assertThat(r.kept()).containsExactly("S");
        assertThat(r.restarted()).containsExactly(new ConfigReload.Restart("A", "vrrp_garp_interval"));
    }

    @Test
    void sharedScriptSettingsRestartEverything() throws Exception {
        AgentConfig before = parse(instance("A", 1, 100, ""));
        AgentConfig after = parse("global_defs {\n enable_script_security\n}\n" + instance("A", 1, 100, ""));
        ConfigReload r = ConfigReload.plan(before, after);
        assertThat(r.restartsEverything()).isTrue();
        assertThat(r.changesNothing()).isFalse();
        assertThat(r.notes()).singleElement().asString().contains("enable_script_security");
    }

    @Test
    void theVigilBlockIsNotedAndKeepsInstancesRunning() throws Exception {
        AgentConfig before = parse(instance("A", 1, 100, ""));
        AgentConfig after = parse("vigil {\n  cluster other\n}\n" + instance("A", 1, 100, ""));
        ConfigReload r = ConfigReload.plan(before, after);
        assertThat(r.changesNothing()).isTrue();
        assertThat(r.notes()).singleElement().asString().contains("cluster").contains("next start");
    }
}
