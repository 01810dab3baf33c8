package dev.vigil.agent.check;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Sizes and durations as PostgreSQL users write and read them: {@code 16MB} is 16 × 1024 × 1024 bytes (as in
 * postgresql.conf), {@code 5s}, {@code 500ms}, {@code 0.2} (seconds, as keepalived). Formatting keeps at most one
 * decimal: "48 MB", "1.5 GB", "12.4 s", "250 ms".
 */
public final class Magnitudes {

    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(B|kB|KB|k|MB|M|GB|G|TB|T)?");
    private static final Pattern TIME = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|sec|min)?");
    private static final String[] UNITS = {"B", "kB", "MB", "GB", "TB"};

    private Magnitudes() {
    }

    /** "16MB", "512kB", "1048576" (bytes), "1.5GB"; empty when it is not a size. */
    public static Optional<Long> parseBytes(String text) {
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            return Optional.empty();
        }
        String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(Locale.ROOT);
        int power = switch (unit.charAt(0)) {
            case 'K' -> 1;
            case 'M' -> 2;
            case 'G' -> 3;
            case 'T' -> 4;
            default -> 0;
        };
        BigDecimal bytes = new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(1024).pow(power));
        try {
            return Optional.of(bytes.setScale(0, RoundingMode.HALF_UP).longValueExact());
        } catch (ArithmeticException tooLarge) {
            return Optional.empty();
        }
    }

    /** "5s", "500ms", "2min", "0.2" (seconds); empty when it is not a duration. */
    public static Optional<Duration> parseDuration(String text) {
        Matcher m = TIME.matcher(text.strip());
        if (!m.matches()) {
            return Optional.empty();
        }
        BigDecimal value = new BigDecimal(m.group(1));
        BigDecimal nanosPerUnit = switch (m.group(2) == null ? "s" : m.group(2)) {
            case "ms" -> BigDecimal.valueOf(1_000_000L);
            case "min" -> BigDecimal.valueOf(60_000_000_000L);
            default -> BigDecimal.valueOf(1_000_000_000L);
        };
        try {
            return Optional.of(Duration.ofNanos(value.multiply(nanosPerUnit).setScale(0, RoundingMode.HALF_UP).longValueExact()));
        } catch (ArithmeticException tooLarge) {
            return Optional.empty();
        }
    }

    /** 0 → "0 B", 1536 → "1.5 kB", 50331648 → "48 MB". */
    public static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        return oneDecimal(value) + " " + UNITS[unit];
    }

    /** 5 s → "5 s", 12.44 s → "12.4 s", 0.25 s → "250 ms", 90 s → "90 s". */
    public static String duration(Duration d) {
        if (d.compareTo(Duration.ofSeconds(1)) < 0) {
            return oneDecimal(d.toNanos() / 1e6) + " ms";
        }
        return oneDecimal(d.toNanos() / 1e9) + " s";
    }

    private static String oneDecimal(double value) {
        BigDecimal rounded = BigDecimal.valueOf(value).setScale(1, RoundingMode.HALF_UP).stripTrailingZeros();
        return rounded.scale() < 0 ? rounded.setScale(0).toPlainString() : rounded.toPlainString();
    }
}
