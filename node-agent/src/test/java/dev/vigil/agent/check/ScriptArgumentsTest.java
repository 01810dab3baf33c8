package dev.vigil.agent.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class ScriptArgumentsTest {

    @Test
    void blanksSeparateWords() {
        assertThat(ScriptArguments.split("  /usr/bin/killall  -0\thaproxy ")).containsExactly("/usr/bin/killall", "-0",
                "haproxy");
    }

    @Test
    void quotesKeepBlanksAndBackslashEscapes() {
        assertThat(ScriptArguments.split("/bin/sh -c 'pidof haproxy || exit 1' \"a b\" c\\ d"))
                .containsExactly("/bin/sh", "-c", "pidof haproxy || exit 1", "a b", "c d");
    }

    @Test
    void emptyQuotesAreAnEmptyWord() {
        assertThat(ScriptArguments.split("x '' y")).containsExactly("x", "", "y");
        assertThat(ScriptArguments.split("   ")).isEmpty();
    }
}
