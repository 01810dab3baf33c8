package dev.vigil.agent.config;

import java.util.Optional;

/**
 * {@code use_vmac [NAME] [MAC]}: adverts and VIPs go on a macvlan with the VRRP virtual MAC
 * (00:00:5e:00:01:VRID for IPv4). {@code vmac_xmit_base}: send adverts on the base interface.
 */
public record Vmac(Optional<String> interfaceName, Optional<String> macAddress, boolean transmitOnBase) {}
