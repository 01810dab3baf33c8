package dev.vigil.agent.balance;

import java.time.Duration;

/**
 * The proxy's own knobs (not in keepalived.conf).
 *
 * @param bufferBytes    per connection and direction, the most written but not yet taken by the kernel before the
 *                       other side is paused
 * @param connectTimeout to a real server; a server that does not answer in time is skipped for the next one
 * @param reportInterval how often the per-server counts are logged (only those that moved)
 */
public record BalancerSettings(int bufferBytes, Duration connectTimeout, Duration reportInterval) {

    public static final BalancerSettings DEFAULTS = new BalancerSettings(256 * 1024, Duration.ofSeconds(2),
            Duration.ofSeconds(60));

    public BalancerSettings {
        if (bufferBytes < 4096) {
            throw new IllegalArgumentException("bufferBytes must be at least 4096, got " + bufferBytes);
        }
    }
}
