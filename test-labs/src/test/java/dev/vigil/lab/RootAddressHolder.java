package dev.vigil.lab;

/** Run in another JVM by RootAddressWaitIT: holds the root address on segment 1 for args[0] milliseconds. */
public final class RootAddressHolder {
    public static void main(String[] args) throws Exception {
        try (NetLab lab = NetLab.create("holder")) {
            lab.segment("vrrp");
            lab.segment("mgmt", true);
            System.out.println("HOLDING " + lab.prefix());
            System.out.flush();
            Thread.sleep(Long.parseLong(args[0]));
        }
        System.out.println("RELEASED");
    }
}
