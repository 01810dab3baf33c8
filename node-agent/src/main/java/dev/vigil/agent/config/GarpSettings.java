package dev.vigil.agent.config;

import java.time.Duration;

/**
 * Gratuitous ARP / unsolicited NA settings, global or per instance (an instance inherits the
 * global values for what it does not set).
 *
 * @param masterDelay         second burst this long after becoming master (keepalived: 5 s; 0 = none)
 * @param masterRepeat        announcements per address in each burst (5)
 * @param masterRefresh       periodic re-announcement while master (zero = off)
 * @param masterRefreshRepeat announcements per refresh (1)
 * @param lowerPrioDelay      delay of the re-announcement made on hearing a lower-priority master
 * @param lowerPrioRepeat     announcements per address on hearing a lower-priority master (0 = off)
 */
public record GarpSettings(Duration masterDelay, int masterRepeat, Duration masterRefresh, int masterRefreshRepeat,
                           Duration lowerPrioDelay, int lowerPrioRepeat) {

    /** keepalived 2.2.7's defaults ({@code core/global_data.c}). */
    public static final GarpSettings KEEPALIVED_DEFAULTS =
            new GarpSettings(Duration.ofSeconds(5), 5, Duration.ZERO, 1, Duration.ofSeconds(5), 5);
}
