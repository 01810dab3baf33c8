package dev.vigil.agent;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** keepalived's command line: -t prints findings as file:line and exits 0 (no errors) or 1. */
@Timeout(30)
class AgentMainTest {

    @TempDir
    Path tmp;

    record Run(int exit, String out, String err) {}

    Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new AgentMain());
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    @Test
    void configTestOfAValidFileExitsZeroAndPrintsWarnings() throws Exception {
        Path f = Files.writeString(tmp.resolve("keepalived.conf"), """
                vrrp_instance VI_1 {
                    interface lo
                    virtual_router_id 5
                    smtp_alert
                    virtual_ipaddress {
                        192.0.2.5
                    }
                }
                """);
        Run r = run("-t", "-f", f.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.err()).isEqualTo(f + ":4: warning: vrrp_instance VI_1: smtp_alert is accepted, but Vigil is not sending mail\n");
        assertThat(r.out()).isEqualTo(f + ": configuration is valid: 1 vrrp_instance(s), 1 warning(s)\n");
    }

    @Test
    void configTestOfABrokenFileExitsNonZeroWithFileAndLine() throws Exception {
        Path f = Files.writeString(tmp.resolve("keepalived.conf"), "vrrp_instance VI_1 {\n    priority 300\n}\n");
        Run r = run("--config-test", "--use-file", f.toString());
        assertThat(r.exit()).isEqualTo(AgentMain.EXIT_CONFIG_ERROR);
        assertThat(r.err()).contains(f + ":2: error: vrrp_instance VI_1: priority 300 is out of range 1..255");
    }

    @Test
    void configIdSelectsConditionalLines() throws Exception {
        Path f = Files.writeString(tmp.resolve("keepalived.conf"), """
                vrrp_instance VI_1 {
                    interface lo
                @a  virtual_router_id 5
                @b  virtual_router_id 500
                    virtual_ipaddress {
                        192.0.2.5
                    }
                }
                """);
        assertThat(run("-t", "-i", "a", "-f", f.toString()).exit()).isZero();
        assertThat(run("-t", "-i", "b", "-f", f.toString()).exit()).isEqualTo(AgentMain.EXIT_CONFIG_ERROR);
    }

    @Test
    void configTestWarnsAboutInterfacesThisHostLacks() throws Exception {
        Path f = Files.writeString(tmp.resolve("keepalived.conf"),
                "vrrp_instance VI_1 {\n interface vigil-no-such0\n virtual_router_id 5\n virtual_ipaddress {\n 192.0.2.5\n }\n}\n");
        Run r = run("-t", "-f", f.toString());
        assertThat(r.exit()).isZero();
        assertThat(r.err()).isEqualTo(f + ":2: warning: interface vigil-no-such0 for vrrp_instance VI_1 does not exist on this host\n");
    }

    @Test
    void theDaemonRefusesAnInterfaceThisHostLacksAndWritesNoPidFile() throws Exception {
        Path f = Files.writeString(tmp.resolve("keepalived.conf"),
                "vrrp_instance VI_1 {\n interface vigil-no-such0\n virtual_router_id 5\n virtual_ipaddress {\n 192.0.2.5\n }\n}\n");
        Run r = run("-n", "-l", "-D", "-p", tmp.resolve("pid").toString(), "-f", f.toString());
        assertThat(r.exit()).isEqualTo(AgentMain.EXIT_CANNOT_RUN);
        assertThat(r.err()).contains("cannot start").contains("VI_1").contains("vigil-no-such0");
        assertThat(tmp.resolve("pid")).doesNotExist();
    }

    @Test
    void coordinatorFlagsReplaceTheBlocksListAndABadOneIsRefused() throws Exception {
        Path f = Files.writeString(tmp.resolve("keepalived.conf"), """
                vigil {
                    coordinator http://127.0.0.1:7740
                }
                vrrp_instance VI_1 {
                    interface lo
                    virtual_router_id 5
                    virtual_ipaddress {
                        192.0.2.5
                    }
                }
                """);
        AgentMain main = new AgentMain();
        new CommandLine(main).parseArgs("-f", f.toString(), "--coordinator", "http://127.0.0.2:7740,http://127.0.0.3:7740",
                "--coordinator", "https://coord-c:8443");
        var result = main.withFlags(dev.vigil.agent.config.KeepalivedConfigParser.parse(f, java.util.Optional.empty(), n -> true));
        assertThat(((dev.vigil.agent.config.ConfigResult.Valid) result).config().vigil().coordinators())
                .extracting(Object::toString)
                .containsExactly("http://127.0.0.2:7740", "http://127.0.0.3:7740", "https://coord-c:8443");

        Run bad = run("-t", "-f", f.toString(), "--coordinator", "ftp://127.0.0.1");
        assertThat(bad.exit()).isEqualTo(AgentMain.EXIT_CONFIG_ERROR);
        assertThat(bad.err()).contains("--coordinator 'ftp://127.0.0.1': must be an http:// or https:// URL with a host");
    }
}
