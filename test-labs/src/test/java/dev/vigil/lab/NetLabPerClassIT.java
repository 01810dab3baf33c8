package dev.vigil.lab;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A static field shares one lab across the class's tests; it is closed after the last one. */
@Timeout(60)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NetLabPerClassIT {

    @RegisterExtension
    static final NetLab LAB = NetLab.extension();

    private static String prefixSeenFirst;

    @Test
    @Order(1)
    void firstTestBuildsTheNetwork() {
        prefixSeenFirst = LAB.prefix();
        LAB.host("a", LAB.segment("vrrp"));
    }

    @Test
    @Order(2)
    void secondTestFindsItStillThere() {
        assertThat(LAB.prefix()).isEqualTo(prefixSeenFirst);
        Host b = LAB.host("b", LAB.segments().get(0));
        assertThat(b.exec("ping", "-c1", "-W2", LAB.hosts().get(0).address()).ok()).isTrue();
    }

    @AfterAll
    static void labIsStillOpenForAfterAllMethods() {
        // @AfterAll methods run before extension afterAll callbacks: the lab is still usable here.
        assertThat(NetLab.namespaces()).contains(prefixSeenFirst + "-a", prefixSeenFirst + "-b");
    }
}
