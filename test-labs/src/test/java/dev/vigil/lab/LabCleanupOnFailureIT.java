package dev.vigil.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/** Runs a test that fails while its labs are full of things, and checks that nothing of them is left. */
@Timeout(90)
class LabCleanupOnFailureIT {

    static volatile boolean launchedOnPurpose;
    static volatile String netPrefix;
    static volatile String pgName;
    static volatile long postmasterPid;
    static volatile long sleeperPid;

    /** Not run by failsafe on its own (nested classes are excluded, and it assumes it was launched on purpose). */
    static class FailingTestWithLabs {
        @RegisterExtension
        @org.junit.jupiter.api.Order(1)
        final NetLab net = NetLab.extension();

        @RegisterExtension
        @org.junit.jupiter.api.Order(2)
        final PgLab pg = PgLab.extension();

        @Test
        void failsHalfway() {
            Assumptions.assumeTrue(launchedOnPurpose);
            Segment lan = net.segment("vrrp");
            Host a = net.host("a", lan);
            Host b = net.host("b", lan);
            net.partition(a, b);
            net.capture(lan);
            netPrefix = net.prefix();
            sleeperPid = a.start("sleep", "1000").pid();
            PgCluster db = pg.cluster("db", b);
            pgName = pg.name();
            postmasterPid = db.postmasterPid().orElseThrow();
            throw new AssertionError("deliberate failure with everything running");
        }
    }

    @Test
    void aFailedTestLeavesNothingBehind() {
        launchedOnPurpose = true;
        TestExecutionSummary summary;
        try {
            LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                    .selectors(selectClass(FailingTestWithLabs.class)).build();
            Launcher launcher = LauncherFactory.create();
            SummaryGeneratingListener listener = new SummaryGeneratingListener();
            launcher.execute(request, listener);
            summary = listener.getSummary();
        } finally {
            launchedOnPurpose = false;
        }

        assertThat(summary.getTestsFailedCount()).isEqualTo(1);
        assertThat(summary.getFailures().get(0).getException()).hasMessageContaining("deliberate failure");
        assertThat(netPrefix).isNotNull();
        assertThat(NetLab.namespaces()).noneMatch(ns -> ns.startsWith(netPrefix));
        assertThat(NetLab.links()).noneMatch(link -> link.startsWith(netPrefix));
        assertThat(NetLab.nftTables()).noneMatch(table -> table.contains(netPrefix));
        assertThat(LabLock.WORK_ROOT.resolve(netPrefix)).doesNotExist();
        assertThat(LabLock.WORK_ROOT.resolve(pgName)).doesNotExist();
        assertThat(LabLock.LOCK_DIR.resolve(pgName + ".lock")).doesNotExist();
        assertThat(ProcessHandle.of(sleeperPid).filter(PgCluster::running)).isEmpty();
        assertThat(ProcessHandle.of(postmasterPid).filter(PgCluster::running)).isEmpty();
    }
}
