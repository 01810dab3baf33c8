package dev.vigil.agent.vrrp;

/**
 * Timer arithmetic of RFC 3768 §6.1 / RFC 5798 §6.1, in nanoseconds of the monotonic clock.
 * Skew_Time is (256 - Priority) / 256 s in v2 (it does not scale with the interval) and
 * (256 - Priority) x Master_Adver_Interval / 256 in v3; Master_Down_Interval is
 * downTimerAdverts (3 per the RFCs) x Master_Adver_Interval + Skew_Time.
 */
public final class MasterDownTimer {
    private static final long NANOS_PER_CENTI = 10_000_000L;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private MasterDownTimer() {
    }

    public static long intervalNanos(int centis) {
        return centis * NANOS_PER_CENTI;
    }

    public static long skewNanos(VrrpVersion version, int priority, int masterAdverIntervalCentis) {
        long weight = 256L - priority;
        return version == VrrpVersion.V2
                ? weight * NANOS_PER_SECOND / 256
                : weight * masterAdverIntervalCentis * NANOS_PER_CENTI / 256;
    }

    public static long masterDownIntervalNanos(VrrpVersion version, int priority, int masterAdverIntervalCentis,
                                               int downTimerAdverts) {
        return downTimerAdverts * intervalNanos(masterAdverIntervalCentis)
                + skewNanos(version, priority, masterAdverIntervalCentis);
    }
}
