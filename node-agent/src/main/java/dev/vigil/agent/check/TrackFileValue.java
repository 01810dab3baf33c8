package dev.vigil.agent.check;

/**
 * keepalived 2.2.7's {@code vrrp_track_file} arithmetic ({@code vrrp_track.c}: {@code process_track_file},
 * {@code update_track_file_status}), pure.
 *
 * <ul>
 *   <li>Reading: the first 127 bytes, parsed as C's {@code strtol(buf, NULL, 0)}: leading blanks, a sign, then
 *       decimal, {@code 0x} hex or leading-{@code 0} octal digits; whatever follows is ignored; no digits reads 0. A
 *       missing, empty or unreadable file reads 0. The value is clamped to -254..254.</li>
 *   <li>Weight 0: a non-zero value means FAULT (with {@code reverse}: a zero value means FAULT).</li>
 *   <li>Weight W: the contribution is value x W (x -1 with {@code reverse}), clamped to -254..253; a contribution of
 *       -254 means FAULT, any other is added to the priority.</li>
 * </ul>
 */
public final class TrackFileValue {

    public static final int FAULT = -254;

    private TrackFileValue() {}

    /** What a tracked file's value does to an instance: FAULT, or a priority delta. */
    public record Effect(boolean fault, int delta) {
        public static final Effect NONE = new Effect(false, 0);
        public static final Effect FAULTED = new Effect(true, 0);
    }

    public static long parse(String text) {
        String s = text.length() > 127 ? text.substring(0, 127) : text;
        int i = 0;
        while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        boolean negative = false;
        if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            negative = s.charAt(i) == '-';
            i++;
        }
        int radix = 10;
        if (i + 1 < s.length() && s.charAt(i) == '0' && (s.charAt(i + 1) == 'x' || s.charAt(i + 1) == 'X')
                && i + 2 < s.length() && Character.digit(s.charAt(i + 2), 16) >= 0) {
            radix = 16;
            i += 2;
        } else if (i < s.length() && s.charAt(i) == '0') {
            radix = 8;
        }
        long value = 0;
        while (i < s.length() && Character.digit(s.charAt(i), radix) >= 0) {
            // Anything beyond the clamp range reads as the bound; stop growing before overflow.
            value = Math.min(value * radix + Character.digit(s.charAt(i), radix), 1_000_000L);
            i++;
        }
        return clamp(negative ? -value : value, -254, 254);
    }

    public static Effect effect(long value, int weight, boolean reverse) {
        if (weight == 0) {
            return (value != 0) != reverse ? Effect.FAULTED : Effect.NONE;
        }
        long contribution = clamp(value * weight * (reverse ? -1 : 1), FAULT, 253);
        return contribution == FAULT ? Effect.FAULTED : new Effect(false, (int) contribution);
    }

    private static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
