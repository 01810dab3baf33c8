package dev.vigil.agent.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One line of {@code virtual_ipaddress} / {@code virtual_ipaddress_excluded}, as keepalived's
 * {@code alloc_ipaddress()} reads it: {@code IP[/prefix]} then options.
 */
final class VirtualAddressLine {

    private VirtualAddressLine() {
    }

    static Optional<VirtualAddress> read(Statement line, String ctx, String list, ValueReader read) {
        String first = line.keyword();
        String addr = first;
        OptionalInt prefix = OptionalInt.empty();
        int slash = first.indexOf('/');
        if (slash >= 0) {
            addr = first.substring(0, slash);
        }
        Optional<InetAddress> ip = IpLiteral.parse(addr);
        if (ip.isEmpty()) {
            read.error(line.pos(), ctx + ": " + list + ": '" + first + "' is not an IP address");
            return Optional.empty();
        }
        InetAddress a = ip.get();
        int maxPrefix = a instanceof Inet4Address ? 32 : 128;
        if (slash >= 0) {
            prefix = read.integerValue(first.substring(slash + 1), line, ctx, list + " " + addr + " prefix length", 0, maxPrefix);
            if (prefix.isEmpty()) {
                return Optional.empty();
            }
        }
        Optional<InetAddress> brd = Optional.empty();
        Optional<String> dev = Optional.empty();
        Optional<String> label = Optional.empty();
        AddressScope scope = AddressScope.GLOBAL;
        boolean noTrack = false;
        boolean forever = false;
        List<String> w = line.args();
        for (int i = 0; i < w.size(); i++) {
            String opt = w.get(i);
            boolean hasValue = i + 1 < w.size();
            switch (opt) {
                case "dev", "label", "scope", "brd", "broadcast", "preferred_lft", "peer" -> {
                    if (!hasValue) {
                        read.error(line.pos(), ctx + ": " + list + " " + first + ": '" + opt + "' needs a value");
                        return Optional.empty();
                    }
                }
                default -> {
                }
            }
            switch (opt) {
                case "dev" -> dev = Optional.of(w.get(++i));
                case "label" -> label = Optional.of(w.get(++i));
                case "scope" -> {
                    String sc = w.get(++i);
                    switch (sc) {
                        case "global" -> scope = AddressScope.GLOBAL;
                        case "site" -> scope = AddressScope.SITE;
                        case "link" -> scope = AddressScope.LINK;
                        case "host" -> scope = AddressScope.HOST;
                        case "nowhere" -> scope = AddressScope.NOWHERE;
                        default -> {
                            read.error(line.pos(), ctx + ": " + list + " " + first + ": scope '" + sc
                                    + "' is not one of global, site, link, host, nowhere");
                            return Optional.empty();
                        }
                    }
                }
                case "brd", "broadcast" -> {
                    String b = w.get(++i);
                    if (!(a instanceof Inet4Address)) {
                        read.error(line.pos(), ctx + ": " + list + " " + first + ": IPv6 has no broadcast address");
                        return Optional.empty();
                    }
                    if (b.equals("+")) {
                        brd = Optional.of(broadcastOf((Inet4Address) a, prefix.orElse(32)));
                    } else if (!b.equals("-")) {
                        Optional<InetAddress> bb = IpLiteral.parse(b).filter(x -> x instanceof Inet4Address);
                        if (bb.isEmpty()) {
                            read.error(line.pos(), ctx + ": " + list + " " + first + ": broadcast '" + b
                                    + "' is not an IPv4 address");
                            return Optional.empty();
                        }
                        brd = bb;
                    }
                }
                case "no_track" -> noTrack = true;
                case "preferred_lft" -> {
                    String v = w.get(++i);
                    if (v.equals("forever")) {
                        forever = true;
                    } else if (!v.equals("0")) {
                        read.error(line.pos(), ctx + ": " + list + " " + first + ": preferred_lft '" + v
                                + "' must be forever or 0");
                        return Optional.empty();
                    }
                }
                case "peer" -> {
                    i++;
                    read.warning(line.pos(), ctx + ": " + list + " " + first + ": 'peer' is ignored: point-to-point VIPs are not supported");
                }
                case "home", "-nodad", "mngtmpaddr", "noprefixroute", "autojoin" ->
                        read.warning(line.pos(), ctx + ": " + list + " " + first + ": address flag '" + opt
                                + "' is ignored (IPv6 VIPs are always added without DAD)");
                case "use_vmac" -> read.warning(line.pos(), ctx + ": " + list + " " + first
                        + ": per-address use_vmac is ignored; use the instance's use_vmac");
                default -> {
                    read.error(line.pos(), ctx + ": " + list + " " + first + ": unknown address option '" + opt + "'");
                    return Optional.empty();
                }
            }
        }
        return Optional.of(new VirtualAddress(a, prefix.orElse(maxPrefix), brd, dev, scope, label, noTrack, forever));
    }

    private static InetAddress broadcastOf(Inet4Address a, int prefix) {
        byte[] b = a.getAddress();
        int v = ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
        int mask = prefix == 0 ? 0 : -1 << (32 - prefix);
        int brd = v | ~mask;
        try {
            return InetAddress.getByAddress(new byte[]{(byte) (brd >>> 24), (byte) (brd >>> 16), (byte) (brd >>> 8), (byte) brd});
        } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e); // 4 bytes are always an address
        }
    }
}
