package dev.vigil.agent.config;

import java.util.Locale;
import java.util.Optional;

/** {@code lb_algo}: how a virtual server picks a real server for a new connection (IPVS's names and meanings). */
public enum Scheduling {
    /** round robin, weights ignored (a weight-0 server still gets none) */
    RR,
    /** weighted round robin (interleaved, as IPVS) */
    WRR,
    /** least connections */
    LC,
    /** weighted least connections: least active/weight */
    WLC,
    /** source hashing: a client address always reaches the same server while the pool is unchanged */
    SH;

    public String word() {
        return name().toLowerCase(Locale.ROOT);
    }

    static Optional<Scheduling> parse(String word) {
        for (Scheduling s : values()) {
            if (s.word().equals(word)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }
}
