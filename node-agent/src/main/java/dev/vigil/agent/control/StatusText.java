package dev.vigil.agent.control;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@link AgentStatus} as text: the SIGUSR1 state dump and the SIGUSR2 statistics in the layout of keepalived's
 * {@code /tmp/keepalived.data} and {@code /tmp/keepalived.stats} (fields Vigil has, under keepalived's labels), and
 * the one-line-per-instance table of {@code vigilctl status}.
 */
public final class StatusText {
    private StatusText() {
    }

    /** keepalived's {@code /tmp/keepalived.data} layout, VRRP part. */
    public static String data(AgentStatus s) {
        StringBuilder b = new StringBuilder();
        b.append("------< Global definitions >------\n");
        b.append(" Agent id = ").append(s.agentId()).append('\n');
        b.append(" Pid = ").append(s.pid()).append('\n');
        b.append(" Configuration file = ").append(s.configFile()).append('\n');
        b.append(" Configuration sha256 = ").append(s.configSha256()).append('\n');
        b.append(" Loaded at = ").append(s.loadedAt()).append('\n');
        b.append(" Reloads = ").append(s.reloads()).append(", refused = ").append(s.refusedReloads()).append('\n');
        b.append(" Reporting = ").append(s.reporting().line()).append('\n');
        b.append("------< VRRP Topology >------\n");
        for (InstanceStatus i : s.instances()) {
            b.append(" VRRP Instance = ").append(i.name()).append('\n');
            b.append("   VRRP Version = ").append(i.version()).append('\n');
            b.append("   State = ").append(i.state()).append('\n');
            b.append("   Interface = ").append(i.interfaceName()).append('\n');
            b.append("   Virtual Router ID = ").append(i.vrid()).append('\n');
            b.append("   Address family = ").append(i.family()).append('\n');
            b.append("   Priority = ").append(i.basePriority()).append('\n');
            b.append("   Effective priority = ").append(i.effectivePriority()).append('\n');
            b.append("   Advert interval = ").append(i.advertIntervalCentis() * 10).append(" milli-sec\n");
            b.append("   Master router = ").append(i.master().isEmpty() ? "(none heard)" : i.master()).append('\n');
            b.append("   Master priority = ").append(i.masterPriority()).append('\n');
            b.append("   Unicast = ").append(i.unicast() ? "yes" : "no").append('\n');
            b.append("   Virtual IP (").append(i.vips().size()).append(")\n");
            i.vips().forEach(v -> b.append("     ").append(v).append('\n'));
        }
        if (!s.checks().isEmpty()) {
            b.append("------< VRRP Scripts and track files >------\n");
            s.checks().forEach((name, status) -> b.append(" ").append(name).append(" = ").append(status).append('\n'));
        }
        return b.toString();
    }

    /** keepalived's {@code /tmp/keepalived.stats} layout. */
    public static String stats(AgentStatus s) {
        StringBuilder b = new StringBuilder();
        for (InstanceStatus i : s.instances()) {
            b.append("VRRP Instance: ").append(i.name()).append('\n');
            b.append("  Advertisements:\n");
            b.append("    Received: ").append(i.advertsReceived()).append('\n');
            b.append("    Sent: ").append(i.advertsSent()).append('\n');
            b.append("  Became master: ").append(i.becameMaster()).append('\n');
            b.append("  Released master: ").append(i.releasedMaster()).append('\n');
            b.append("  Packet Errors:\n");
            if (i.drops().isEmpty()) {
                b.append("    (none)\n");
            }
            i.drops().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> b.append("    ").append(e.getKey()).append(": ").append(e.getValue()).append('\n'));
            b.append("  Priority Zero:\n");
            b.append("    Received: ").append(i.priorityZeroReceived()).append('\n');
            b.append("    Sent: ").append(i.priorityZeroSent()).append('\n');
        }
        return b.toString();
    }

    /** {@code vigilctl status}: one line per instance, columns aligned. */
    public static String table(AgentStatus s) {
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[]{"INSTANCE", "STATE", "INTERFACE", "VRID", "PRIO", "EFFECTIVE", "MASTER", "VIPS"});
        for (InstanceStatus i : s.instances()) {
            rows.add(new String[]{i.name(), i.state(), i.interfaceName(), Integer.toString(i.vrid()),
                    Integer.toString(i.basePriority()), Integer.toString(i.effectivePriority()),
                    i.master().isEmpty() ? "-" : i.master(),
                    String.join(",", i.vips().stream().map(v -> v.contains(" ") ? v.substring(0, v.indexOf(' ')) : v).toList())});
        }
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int c = 0; c < r.length; c++) {
                width[c] = Math.max(width[c], r[c].length());
            }
        }
        StringBuilder b = new StringBuilder();
        b.append("agent ").append(s.agentId()).append(" (pid ").append(s.pid()).append("), ").append(s.configFile())
                .append(" loaded ").append(s.loadedAt()).append(", ").append(s.reloads()).append(" reload(s), ")
                .append(s.refusedReloads()).append(" refused\n");
        b.append(s.reporting().line()).append('\n');
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < r.length; c++) {
                line.append(c == r.length - 1 ? r[c] : String.format("%-" + (width[c] + 2) + "s", r[c]));
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
        return b.toString();
    }
}
