package dev.vigil.agent.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What Vigil knows of keepalived 2.2.7's VRRP-side vocabulary, per block: the keywords it acts on,
 * and for every other keepalived keyword whether ignoring it is an error or a warning, and why.
 *
 * <p>The rule (docs/keepalived-compatibility.md): a keyword Vigil does not implement is an
 * <b>error</b> when ignoring it would change what goes on the wire, when an instance changes state,
 * or what a master configures on the host (the file could not mean what it says); it is a
 * <b>warning</b> when it only concerns mail, SNMP/DBus, process tuning, buffers, or load balancing
 * that Vigil does not do yet. A keyword keepalived itself does not know is a warning, as keepalived
 * 2.2.7 makes it ({@code Unknown keyword 'x'}), except in Vigil's own {@code vigil} block.
 */
final class Vocabulary {

    enum Block { TOP, GLOBAL_DEFS, VRRP_INSTANCE, VRRP_SCRIPT, TRACK_FILE, SYNC_GROUP, VIGIL, VIRTUAL_SERVER, REAL_SERVER, CHECKER }

    /** A keepalived keyword Vigil accepts but does not act on, or refuses. */
    record NotActedOn(boolean error, String reason) {}

    private static final String MAIL = "accepted, but Vigil does not send mail";
    private static final String SNMP = "SNMP is not supported; Vigil exports Prometheus metrics instead";
    private static final String DBUS = "DBus is not supported; use the admin socket (vigilctl)";
    private static final String SCHED = "process scheduling and memory locking are set by bin/vigil-agent's JVM and systemd settings";
    private static final String BUFS = "socket and netlink buffer sizes are chosen by Vigil";
    private static final String LB = "IPVS is not driven by Vigil; its load balancing is a TCP proxy (docs/load-balancing.md)";
    private static final String LB_LATER = "not supported by Vigil's proxy yet; it has no effect";
    private static final String BFD = "BFD is not supported";
    private static final String PROC = "Vigil runs as one process";
    private static final String FW = "Vigil does not install firewall rules";

    static final Map<Block, Set<String>> SUPPORTED = Map.of(
            Block.TOP, Set.of("global_defs", "vrrp_instance", "vrrp_script", "vrrp_track_file", "track_file",
                    "vrrp_sync_group", "vigil", "virtual_server", "virtual_server_group"),
            Block.GLOBAL_DEFS, Set.of("router_id", "vrrp_version", "vrrp_garp_master_delay", "vrrp_garp_master_repeat",
                    "vrrp_garp_master_refresh", "vrrp_garp_master_refresh_repeat", "vrrp_garp_lower_prio_delay",
                    "vrrp_garp_lower_prio_repeat", "vrrp_garp_interval", "vrrp_gna_interval",
                    "vrrp_lower_prio_no_advert", "vrrp_higher_prio_send_advert", "enable_script_security",
                    "script_user", "vrrp_strict", "notify_fifo", "notify_fifo_script", "vrrp_notify_fifo",
                    "vrrp_notify_fifo_script", "vrrp_skip_check_adv_addr", "vrrp_check_unicast_src",
                    "vrrp_mcast_group4", "vrrp_mcast_group6", "v3_checksum_as_v2", "vrrp_down_timer_adverts",
                    "default_interface", "vrrp_priority", "vrrp_rt_priority"),
            Block.VRRP_INSTANCE, Set.of("state", "interface", "virtual_router_id", "priority", "advert_int", "version",
                    "nopreempt", "preempt", "preempt_delay", "unicast_src_ip", "mcast_src_ip", "unicast_peer",
                    "mcast_dst_ip", "virtual_ipaddress", "virtual_ipaddress_excluded", "authentication",
                    "garp_master_delay", "garp_master_repeat", "garp_master_refresh", "garp_master_refresh_repeat",
                    "garp_lower_prio_delay", "garp_lower_prio_repeat", "track_interface", "track_script",
                    "track_file", "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify_deleted",
                    "notify", "notify_master_rx_lower_pri", "smtp_alert", "accept", "no_accept",
                    "dont_track_primary", "use_vmac", "vmac_xmit_base", "v3_checksum_as_v2", "lower_prio_no_advert",
                    "higher_prio_send_advert", "skip_check_adv_addr", "check_unicast_src", "strict_mode",
                    "down_timer_adverts", "track_src_ip"),
            Block.VRRP_SCRIPT, Set.of("script", "interval", "timeout", "weight", "rise", "fall", "user", "init_fail", "pg_check"),
            Block.TRACK_FILE, Set.of("file", "weight", "init_file"),
            Block.SYNC_GROUP, Set.of("group", "track_interface", "track_script", "track_file", "notify_master",
                    "notify_backup", "notify_fault", "notify_stop", "notify", "smtp_alert", "global_tracking",
                    "sync_group_tracking_weight"),
            Block.VIGIL, Set.of("agent_id", "cluster", "state_dir", "coordinator", "token_file", "admin_socket",
                    "outbox_size"),
            Block.VIRTUAL_SERVER, Set.of("delay_loop", "lb_algo", "lvs_sched", "lb_kind", "lvs_method", "protocol",
                    "persistence_timeout", "quorum", "hysteresis", "quorum_up", "quorum_down", "sorry_server",
                    "inhibit_on_failure", "alpha", "virtualhost", "real_server", "connect_timeout", "retry",
                    "nb_get_retry", "delay_before_retry", "warmup", "rise", "fall"),
            Block.REAL_SERVER, Set.of("weight", "inhibit_on_failure", "TCP_CHECK", "HTTP_GET", "MISC_CHECK", "PG_CHECK",
                    "delay_loop", "connect_timeout", "retry", "nb_get_retry", "delay_before_retry", "warmup", "rise",
                    "fall"),
            Block.CHECKER, Set.of("connect_port", "connect_ip", "url", "virtualhost", "misc_path", "misc_timeout",
                    "misc_dynamic", "delay_loop", "connect_timeout", "retry", "nb_get_retry", "delay_before_retry",
                    "warmup", "rise", "fall", "role", "host", "port", "dbname", "user", "password", "max_lag_bytes",
                    "max_lag_time", "query", "peers"));

    static final Map<Block, Map<String, NotActedOn>> NOT_ACTED_ON = Map.ofEntries(
            Map.entry(Block.VIRTUAL_SERVER, virtualServer()),
            Map.entry(Block.REAL_SERVER, realServer()),
            Map.entry(Block.CHECKER, checker()),
            Map.entry(Block.TOP, top()),
            Map.entry(Block.GLOBAL_DEFS, globalDefs()),
            Map.entry(Block.VRRP_INSTANCE, instance()),
            Map.entry(Block.VRRP_SCRIPT, Map.of()),
            Map.entry(Block.TRACK_FILE, Map.of()),
            Map.entry(Block.SYNC_GROUP, syncGroup()),
            Map.entry(Block.VIGIL, Map.of()));

    private Vocabulary() {
    }

    static boolean isSupported(Block block, String keyword) {
        return SUPPORTED.get(block).contains(keyword);
    }

    static Optional<NotActedOn> notActedOn(Block block, String keyword) {
        return Optional.ofNullable(NOT_ACTED_ON.get(block).get(keyword));
    }

    /** The known keyword closest to a misspelt one (edit distance at most 2), for "did you mean". */
    static Optional<String> closest(Block block, String keyword) {
        Set<String> known = new TreeSet<>(SUPPORTED.get(block));
        known.addAll(NOT_ACTED_ON.get(block).keySet());
        String best = null;
        int bestDistance = 3;
        for (String k : known) {
            int d = distance(keyword, k);
            if (d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return Optional.ofNullable(best);
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static NotActedOn warn(String reason) {
        return new NotActedOn(false, reason);
    }

    private static NotActedOn refuse(String reason) {
        return new NotActedOn(true, reason);
    }

    private static void all(Map<String, NotActedOn> m, NotActedOn what, String... keywords) {
        for (String k : keywords) {
            m.put(k, what);
        }
    }

    private static Map<String, NotActedOn> top() {
        var m = new LinkedHashMap<String, NotActedOn>();
        all(m, warn("TLS checkers (SSL_GET) are not supported, so the SSL block has no use"), "SSL");
        all(m, warn(BFD), "bfd_instance");
        all(m, warn("process tracking is not supported yet; a track_process reference to it is an error"),
                "vrrp_track_process");
        all(m, warn("static addresses, routes and rules belong to the host's network configuration; Vigil does not add them"),
                "static_ipaddress", "static_routes", "static_rules");
        all(m, warn("per-interface GARP rate groups are not supported; vrrp_garp_interval/vrrp_gna_interval apply"),
                "garp_group");
        all(m, warn("Vigil follows link state through netlink only"), "linkbeat_interfaces", "linkbeat_use_polling");
        all(m, warn("interface up/down debounce is not supported: link changes act at once"), "interface_up_down_delays");
        all(m, warn("track groups are not supported"), "track_group");
        all(m, refuse("Vigil runs in the network namespace it is started in; start it there with ip netns exec"),
                "net_namespace");
        all(m, warn(LB), "net_namespace_ipvs", "namespace_with_ipsets");
        all(m, warn("the config id is given with -i/--config-id"), "instance");
        all(m, warn(PROC), "use_pid_dir", "child_wait_time");
        return Map.copyOf(m);
    }

    private static Map<String, NotActedOn> globalDefs() {
        var m = new LinkedHashMap<String, NotActedOn>();
        all(m, warn(MAIL), "notification_email", "notification_email_from", "smtp_server", "smtp_helo_name",
                "smtp_connect_timeout", "smtp_alert", "smtp_alert_vrrp", "smtp_alert_checker", "no_email_faults",
                "no_checker_emails");
        all(m, warn(SNMP), "snmp_socket", "enable_traps", "enable_snmp_vrrp", "enable_snmp_keepalived",
                "enable_snmp_rfc", "enable_snmp_rfcv2", "enable_snmp_rfcv3", "enable_snmp_checker");
        all(m, warn(DBUS), "enable_dbus", "dbus_service_name");
        all(m, warn(SCHED), "vrrp_no_swap", "vrrp_cpu_affinity",
                "vrrp_rlimit_rttime", "vrrp_rlimit_rtime", "max_auto_priority", "min_auto_priority_delay",
                "checker_priority", "checker_no_swap", "checker_rt_priority", "checker_cpu_affinity",
                "checker_rlimit_rttime", "checker_rlimit_rtime", "bfd_priority", "bfd_no_swap", "bfd_rt_priority",
                "bfd_cpu_affinity", "bfd_rlimit_rttime", "bfd_rlimit_rtime");
        all(m, warn(BUFS), "vrrp_netlink_cmd_rcv_bufs", "vrrp_netlink_cmd_rcv_bufs_force",
                "vrrp_netlink_monitor_rcv_bufs", "vrrp_netlink_monitor_rcv_bufs_force", "process_monitor_rcv_bufs",
                "process_monitor_rcv_bufs_force", "lvs_netlink_cmd_rcv_bufs", "lvs_netlink_cmd_rcv_bufs_force",
                "lvs_netlink_monitor_rcv_bufs", "lvs_netlink_monitor_rcv_bufs_force", "vrrp_rx_bufs_policy",
                "vrrp_rx_bufs_multiplier");
        all(m, warn(LB), "lvs_timeouts", "lvs_flush", "lvs_flush_on_stop", "lvs_flush_onstop", "lvs_sync_daemon",
                "lvs_notify_fifo", "lvs_notify_fifo_script", "checker_log_all_failures", "rs_init_notifies",
                "nftables_ipvs", "nftables_ipvs_priority", "nftables_ipvs_start_fwmark", "net_namespace_ipvs");
        all(m, warn(PROC), "process_names", "process_name", "vrrp_process_name", "checker_process_name",
                "lvs_process_name", "bfd_process_name", "use_pid_dir", "child_wait_time", "umask", "random_seed",
                "reload_check_config", "reload_time_file", "reload_repeat", "reload_file", "config_save_dir",
                "tmp_config_directory", "data_use_instance", "instance", "net_namespace", "namespace_with_ipsets");
        all(m, warn(FW), "vrrp_iptables", "vrrp_ipsets", "nftables", "nftables_priority", "nftables_ifindex",
                "nftables_counters");
        all(m, warn("include files are always checked strictly: a missing included file is an error"), "include_check");
        all(m, warn("Vigil logs unknown VRIDs at debug level and counts them"), "log_unknown_vrids");
        all(m, warn("Vigil always follows interfaces through netlink"), "dynamic_interfaces", "linkbeat_use_polling",
                "disable_local_igmp");
        all(m, warn("startup and shutdown scripts are not run by Vigil; use systemd's ExecStartPre/ExecStopPost"),
                "startup_script", "startup_script_timeout", "shutdown_script", "shutdown_script_timeout");
        all(m, warn("VMAC names and addresses use keepalived's defaults"), "vmac_prefix", "vmac_addr_prefix");
        all(m, warn("the single second GARP burst is not configurable this way; use vrrp_garp_master_delay 0"),
                "vrrp_min_garp");
        all(m, warn("periodic GARPs on extra interfaces are not supported"), "vrrp_garp_extra_if",
                "vrrp_vmac_garp_intvl");
        all(m, warn("priority-change lines are not written to the notify FIFO"), "vrrp_notify_priority_changes",
                "fifo_write_vrrp_states_on_reload");
        all(m, refuse("a startup delay before taking part in elections is not supported yet, and starting at once changes failover at boot"),
                "vrrp_startup_delay");
        return Map.copyOf(m);
    }

    private static Map<String, NotActedOn> instance() {
        var m = new LinkedHashMap<String, NotActedOn>();
        all(m, refuse("track_process is not supported yet, and without it this instance would not lose priority when the process dies"),
                "track_process");
        all(m, refuse("BFD is not supported, and without it this instance would not react to the BFD session"),
                "track_bfd");
        all(m, refuse("virtual routes/rules are not supported yet; a master would not install them"),
                "virtual_routes", "virtual_rules");
        all(m, refuse("ipvlan interfaces are not supported; use use_vmac"), "use_ipvlan");
        all(m, refuse("a VMAC with a chosen MAC address is not supported"), "use_vmac_addr");
        all(m, refuse("going to FAULT when no unicast peer is configured is not supported yet"), "unicast_fault_no_peer");
        all(m, refuse("the pre-1.3.6 unicast checksum is not supported; it would change what goes on the wire"),
                "old_unicast_checksum");
        all(m, refuse("a unicast TTL other than 255 is not supported; it would change what goes on the wire"),
                "unicast_ttl");
        all(m, refuse("native_ipv6 is not supported; give the instance an IPv6 virtual address"), "native_ipv6");
        all(m, refuse("VRF binding is not supported"), "vrf");
        all(m, warn("periodic GARPs on extra interfaces are not supported"), "garp_extra_if", "vmac_garp_intvl");
        all(m, warn("Vigil never changes promote_secondaries; deleting a VIP may remove secondary addresses of its subnet"),
                "promote_secondaries");
        all(m, warn("Vigil follows link state through netlink only"), "linkbeat_use_polling");
        all(m, warn(BUFS), "kernel_rx_buf_size");
        all(m, warn("use -D/--log-detail"), "debug");
        all(m, warn(LB), "lvs_sync_daemon_interface");
        all(m, warn("priority-change lines are not written to the notify FIFO"), "notify_priority_changes");
        return Map.copyOf(m);
    }

    private static Map<String, NotActedOn> syncGroup() {
        var m = new LinkedHashMap<String, NotActedOn>();
        all(m, refuse("track_process is not supported yet, and without it this group would not lose priority when the process dies"),
                "track_process");
        all(m, refuse("BFD is not supported, and without it this group would not react to the BFD session"),
                "track_bfd");
        all(m, warn("priority-change lines are not written to the notify FIFO"), "notify_priority_changes");
        all(m, warn(LB), "lvs_sync_daemon_interface");
        return Map.copyOf(m);
    }

    private static Map<String, NotActedOn> virtualServer() {
        var m = new LinkedHashMap<String, NotActedOn>();
        all(m, warn(LB), "persistence_engine", "persistence_granularity", "ops", "one_packet_scheduling",
                "sorry_server_lvs_method", "ip_family", "flag-1", "flag-2", "flag-3", "sh-port", "sh-fallback",
                "mh-port", "mh-fallback", "lvs_sync_daemon_interface");
        all(m, warn("the sorry server gets connections whenever the quorum is lost, whatever this says"),
                "sorry_server_inhibit");
        all(m, warn(MAIL), "smtp_alert");
        all(m, warn("quorum_down is run whenever the quorum is lost; nothing extra at stop"), "omega");
        all(m, warn(LB_LATER), "ha_suspend");
        return Map.copyOf(m);
    }

    private static Map<String, NotActedOn> realServer() {
        var m = new LinkedHashMap<String, NotActedOn>();
        all(m, warn(LB_LATER), "notify_up", "notify_down", "uthreshold", "lthreshold", "alpha", "virtualhost");
        all(m, warn(LB), "lvs_method");
        all(m, warn(MAIL), "smtp_alert");
        all(m, warn("not served: Vigil checks with TCP_CHECK, HTTP_GET, MISC_CHECK and PG_CHECK; the virtual server"
                + " is not served"), "SSL_GET", "SMTP_CHECK", "DNS_CHECK", "UDP_CHECK", "PING_CHECK", "FILE_CHECK",
                "BFD_CHECK");
        return Map.copyOf(m);
    }

    private static Map<String, NotActedOn> checker() {
        var m = new LinkedHashMap<String, NotActedOn>();
        all(m, warn(LB_LATER), "bindto", "bind_port", "bind_if", "fwmark", "log_all_failures", "user_agent",
                "http_protocol", "enable_sni", "tls_compliant", "protocol");
        return Map.copyOf(m);
    }

    /** Every keyword of a block that the compatibility table must cover. */
    static List<String> allKeywords(Block block) {
        var all = new TreeSet<>(SUPPORTED.get(block));
        all.addAll(NOT_ACTED_ON.get(block).keySet());
        return List.copyOf(all);
    }
}
