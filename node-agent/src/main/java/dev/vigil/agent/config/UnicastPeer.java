package dev.vigil.agent.config;

import java.net.InetAddress;
import java.util.OptionalInt;

/** A {@code unicast_peer} line: the peer's address and an optional accepted TTL range for its adverts. */
public record UnicastPeer(InetAddress address, OptionalInt minTtl, OptionalInt maxTtl) {}
