package dev.vigil.agent.config;

import java.math.BigDecimal;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * Reads the values of keepalived.conf statements (counts, numbers, seconds, flags, addresses,
 * paths, users) and turns every problem into a {@link Finding} naming the statement's line. A
 * reader returns empty after reporting; it never throws on bad input.
 */
final class ValueReader {

    private final List<Finding> findings;

    ValueReader(List<Finding> findings) {
        this.findings = findings;
    }

    void error(SourcePos at, String message) {
        findings.add(Finding.error(at, message));
    }

    void warning(SourcePos at, String message) {
        findings.add(Finding.warning(at, message));
    }

    boolean noBlock(Statement s, String ctx) {
        if (s.hasBlock()) {
            error(s.pos(), ctx + ": '" + s.keyword() + "' takes no '{ }' block");
            return false;
        }
        return true;
    }

    boolean needsBlock(Statement s, String ctx) {
        if (!s.hasBlock()) {
            error(s.pos(), ctx + ": '" + s.keyword() + "' needs a '{ }' block");
            return false;
        }
        if (!s.args().isEmpty()) {
            error(s.pos(), ctx + ": unexpected value '" + s.arg(0) + "' before the block of '" + s.keyword() + "'");
        }
        return true;
    }

    /** Exactly {@code count} values; reports a missing or extra value. */
    boolean arity(Statement s, String ctx, int min, int max) {
        if (!noBlock(s, ctx)) {
            return false;
        }
        if (s.args().size() < min) {
            error(s.pos(), ctx + ": '" + s.keyword() + "' needs a value");
            return false;
        }
        if (s.args().size() > max) {
            error(s.pos(), ctx + ": unexpected extra value '" + s.arg(max) + "' after '"
                    + String.join(" ", s.words().subList(0, max + 1)) + "'");
            return false;
        }
        return true;
    }

    Optional<String> text(Statement s, String ctx) {
        return arity(s, ctx, 1, 1) ? Optional.of(s.arg(0)) : Optional.empty();
    }

    OptionalInt integer(Statement s, String ctx, int min, int max) {
        if (!arity(s, ctx, 1, 1)) {
            return OptionalInt.empty();
        }
        return integerValue(s.arg(0), s, ctx, s.keyword(), min, max);
    }

    OptionalInt integerValue(String value, Statement s, String ctx, String what, int min, int max) {
        int v;
        try {
            v = Integer.parseInt(value);
        } catch (NumberFormatException e) {
            error(s.pos(), ctx + ": " + what + " '" + value + "' is not a whole number");
            return OptionalInt.empty();
        }
        if (v < min || v > max) {
            error(s.pos(), ctx + ": " + what + " " + v + " is out of range " + min + ".." + max);
            return OptionalInt.empty();
        }
        return OptionalInt.of(v);
    }

    /** Decimal seconds to the microsecond, as keepalived's {@code read_decimal_unsigned_strvec}. */
    Optional<Duration> seconds(Statement s, String ctx, Duration min, Duration max) {
        if (!arity(s, ctx, 1, 1)) {
            return Optional.empty();
        }
        return secondsValue(s.arg(0), s, ctx, s.keyword(), min, max);
    }

    Optional<Duration> secondsValue(String value, Statement s, String ctx, String what, Duration min, Duration max) {
        BigDecimal d;
        try {
            d = new BigDecimal(value);
        } catch (NumberFormatException e) {
            error(s.pos(), ctx + ": " + what + " '" + value + "' is not a number of seconds");
            return Optional.empty();
        }
        if (d.scale() > 6 || value.startsWith("+") || value.contains("e") || value.contains("E")) {
            error(s.pos(), ctx + ": " + what + " '" + value + "' is not a number of seconds with at most 6 decimals");
            return Optional.empty();
        }
        if (d.abs().compareTo(BigDecimal.valueOf(1_000_000_000L)) > 0) {
            error(s.pos(), ctx + ": " + what + " " + value + " is out of range " + show(min) + ".." + show(max) + " s");
            return Optional.empty();
        }
        Duration v = Duration.ofNanos(d.movePointRight(9).longValueExact());
        if (v.compareTo(min) < 0 || v.compareTo(max) > 0) {
            error(s.pos(), ctx + ": " + what + " " + value + " is out of range " + show(min) + ".." + show(max) + " s");
            return Optional.empty();
        }
        return Optional.of(v);
    }

    static String show(Duration d) {
        return BigDecimal.valueOf(d.toNanos()).movePointLeft(9).stripTrailingZeros().toPlainString();
    }

    /** A flag keyword: alone, or followed by true/false (yes/no, on/off), as keepalived's {@code check_true_false}. */
    Optional<Boolean> flag(Statement s, String ctx) {
        if (!arity(s, ctx, 0, 1)) {
            return Optional.empty();
        }
        if (s.args().isEmpty()) {
            return Optional.of(true);
        }
        return switch (s.arg(0).toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> Optional.of(true);
            case "false", "no", "off" -> Optional.of(false);
            default -> {
                error(s.pos(), ctx + ": '" + s.keyword() + "' takes true or false, not '" + s.arg(0) + "'");
                yield Optional.empty();
            }
        };
    }

    Optional<InetAddress> ip(Statement s, String ctx) {
        if (!arity(s, ctx, 1, 1)) {
            return Optional.empty();
        }
        return ipValue(s.arg(0), s, ctx, s.keyword());
    }

    Optional<InetAddress> ipValue(String value, Statement s, String ctx, String what) {
        Optional<InetAddress> a = parseIp(value);
        if (a.isEmpty()) {
            error(s.pos(), ctx + ": " + what + " '" + value + "' is not an IPv4 or IPv6 address");
        }
        return a;
    }

    /** An IP literal, never a host name (no DNS in a config check). */
    static Optional<InetAddress> parseIp(String value) {
        return IpLiteral.parse(value);
    }

    static AddressFamily familyOf(InetAddress a) {
        return a instanceof Inet6Address ? AddressFamily.IPV6 : AddressFamily.IPV4;
    }

    /** {@code user [group]} or {@code user:group}. */
    static ScriptUser scriptUser(List<String> words) {
        String first = words.get(0);
        int colon = first.indexOf(':');
        if (colon >= 0) {
            String group = first.substring(colon + 1);
            return new ScriptUser(first.substring(0, colon), group.isEmpty() ? Optional.empty() : Optional.of(group));
        }
        return new ScriptUser(first, words.size() > 1 ? Optional.of(words.get(1)) : Optional.empty());
    }

    Optional<Path> path(Statement s, String ctx) {
        return text(s, ctx).flatMap(p -> {
            try {
                return Optional.of(Path.of(p));
            } catch (InvalidPathException e) {
                error(s.pos(), ctx + ": '" + p + "' is not a valid path");
                return Optional.empty();
            }
        });
    }

    void setOnce(Map<String, SourcePos> seen, Statement s, String ctx) {
        SourcePos before = seen.put(s.keyword(), s.pos());
        if (before != null) {
            warning(s.pos(), ctx + ": '" + s.keyword() + "' is set again (first at line " + before.line()
                    + "); the last one wins, as in keepalived");
        }
    }
}
