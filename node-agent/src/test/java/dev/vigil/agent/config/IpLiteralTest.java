package dev.vigil.agent.config;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.InetAddress;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class IpLiteralTest {

    @Test
    void acceptsLiteralsOnly() {
        assertThat(IpLiteral.parse("192.0.2.1")).isPresent();
        assertThat(IpLiteral.parse("::")).isPresent();
        assertThat(IpLiteral.parse("::ffff:192.0.2.1")).isPresent();
        assertThat(IpLiteral.parse("fe80::1")).isPresent();
        assertThat(IpLiteral.parse("2001:db8:0:0:0:0:0:1")).isPresent();
        for (String bad : new String[]{"", "localhost", "192.0.2", "192.0.2.256", "01.2.3.4", "1.2.3.4.5", "1:::2",
                "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "fe80::1%eth0", "g::1", ":1", "1:"}) {
            assertThat(IpLiteral.parse(bad)).as(bad).isEmpty();
        }
    }

    @Test
    void formatsIpv6Compressed() {
        assertThat(IpLiteral.format(IpLiteral.parse("2001:db8:0:0:0:0:0:1").orElseThrow())).isEqualTo("2001:db8::1");
        assertThat(IpLiteral.format(IpLiteral.parse("2001:0:0:1:0:0:0:1").orElseThrow())).isEqualTo("2001:0:0:1::1");
        assertThat(IpLiteral.format(IpLiteral.parse("::").orElseThrow())).isEqualTo("::");
        assertThat(IpLiteral.format(IpLiteral.parse("1:2:3:4:5:6:7:0").orElseThrow())).isEqualTo("1:2:3:4:5:6:7:0");
    }

    @Property(tries = 500)
    void formatThenParseIsTheSameAddress(@ForAll @Size(16) byte[] bytes) throws Exception {
        InetAddress a = InetAddress.getByAddress(bytes);
        assertThat(IpLiteral.parse(IpLiteral.format(a))).contains(a);
        assertThat(IpLiteral.parse(a.getHostAddress())).contains(a);
    }
}
