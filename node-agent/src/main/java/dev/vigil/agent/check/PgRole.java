package dev.vigil.agent.check;

import java.util.Locale;
import java.util.Optional;

/** Which PostgreSQL servers pass the check. */
public enum PgRole {
    /** Not in recovery and accepting writes: the write VIP's check. */
    PRIMARY,
    /** In recovery and streaming from a primary (a WAL receiver is active): a read VIP's check. */
    REPLICA,
    /** Any server that answers (lag thresholds still apply to one in recovery). */
    ANY;

    public static Optional<PgRole> parse(String word) {
        return switch (word.toLowerCase(Locale.ROOT)) {
            case "primary", "master" -> Optional.of(PRIMARY);
            case "replica", "standby" -> Optional.of(REPLICA);
            case "any" -> Optional.of(ANY);
            default -> Optional.empty();
        };
    }

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }
}
