package dev.vigil.agent.balance;

import dev.vigil.agent.config.AgentConfig;
import dev.vigil.agent.config.ConfigResult;
import dev.vigil.agent.config.KeepalivedConfigParser;
import dev.vigil.agent.config.VirtualServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class VirtualServerChangeTest {

    @TempDir
    Path tmp;

    List<VirtualServer> read(String conf) throws Exception {
        Path f = tmp.resolve("lb.conf");
        Files.writeString(f, conf);
        ConfigResult r = KeepalivedConfigParser.parse(f, Optional.empty());
        assertThat(r).as(r.findings().toString()).isInstanceOf(ConfigResult.Valid.class);
        AgentConfig c = ((ConfigResult.Valid) r).config();
        return c.virtualServers();
    }

    static String vs(int port, int weight, String check) {
        return """
                virtual_server 127.0.0.1 %d {
                    lb_algo rr
                    lb_kind PROXY
                    real_server 127.0.0.1 6000 {
                        weight %d
                        %s
                    }
                }
                """.formatted(port, weight, check);
    }

    @Test
    void aBlockThatOnlyMovedInTheFileIsKept() throws Exception {
        List<VirtualServer> before = read(vs(5000, 1, "TCP_CHECK { connect_timeout 1 }"));
        List<VirtualServer> after = read("\n\n# a comment\n" + vs(5000, 1, "TCP_CHECK { connect_timeout 1 }"));
        assertThat(before.get(0)).isNotEqualTo(after.get(0)); // positions differ
        VirtualServerChange change = VirtualServerChange.plan(before, after);
        assertThat(change.isEmpty()).isTrue();
        assertThat(change.kept()).singleElement().satisfies(k -> {
            assertThat(k.running()).isSameAs(before.get(0));
            assertThat(k.next()).isSameAs(after.get(0));
        });
    }

    @Test
    void aChangedWeightOrCheckRetiresAndStartsAndRemovedAndAddedBlocksDoTheirPart() throws Exception {
        List<VirtualServer> before = read(vs(5000, 1, "TCP_CHECK { connect_timeout 1 }")
                + vs(5001, 1, "TCP_CHECK { connect_timeout 1 }") + vs(5002, 1, ""));
        List<VirtualServer> after = read(vs(5000, 2, "TCP_CHECK { connect_timeout 1 }")
                + vs(5001, 1, "TCP_CHECK { connect_timeout 2 }") + vs(5003, 1, ""));
        VirtualServerChange change = VirtualServerChange.plan(before, after);
        assertThat(change.kept()).isEmpty();
        assertThat(change.retiring()).containsExactlyElementsOf(before);
        assertThat(change.starting()).containsExactlyElementsOf(after);
    }
}
