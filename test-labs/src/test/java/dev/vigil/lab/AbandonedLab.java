package dev.vigil.lab;

/** A JVM that opens labs full of things and then waits to be killed: the subject of {@link KilledRunIT}. */
public final class AbandonedLab {

    private AbandonedLab() {
    }

    public static void main(String[] args) throws InterruptedException {
        NetLab net = NetLab.create("abandoned");
        Segment lan = net.segment("vrrp");
        Host a = net.host("a", lan);
        Host b = net.host("b", lan);
        net.partition(a, b);
        a.start("sleep", "1000");
        PgLab pg = PgLab.create();
        PgCluster db = pg.cluster("db");
        System.out.println("READY " + net.prefix() + " " + pg.name() + " " + db.postmasterPid().orElseThrow());
        System.out.flush();
        Thread.sleep(600_000);
    }
}
