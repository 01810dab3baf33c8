package dev.vigil.model;

import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;

/**
 * {@code Instant.parse}, with a fast path for what {@code Instant.toString} writes for years 0000-9999
 * ({@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]Z}, the envelope's canonical time among them): the formatter showed in the
 * replay and stored-fact profiles (bench/RESULTS.md). Anything else, leap seconds and invalid dates included, goes to
 * {@code Instant.parse}, so the answers and the errors are always its own.
 */
public final class InstantText {
    private InstantText() {
    }

    public static Instant parse(String s) {
        int n = s.length();
        if (n < 20 || n > 30 || n == 21 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T'
                || s.charAt(13) != ':' || s.charAt(16) != ':' || s.charAt(n - 1) != 'Z' || (n > 20 && s.charAt(19) != '.')) {
            return Instant.parse(s);
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = digits(s, 17, 2);
        int fraction = n > 20 ? digits(s, 20, n - 21) : 0;
        if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59
                || second < 0 || second > 59 || fraction < 0 || day > YearMonth.of(year, month).lengthOfMonth()) {
            return Instant.parse(s);
        }
        int nanos = fraction;
        for (int i = n > 20 ? n - 21 : 9; i < 9; i++) {
            nanos *= 10;
        }
        long epochDay = LocalDate.of(year, month, day).toEpochDay();
        return Instant.ofEpochSecond(epochDay * 86_400 + hour * 3_600L + minute * 60L + second, nanos);
    }

    /** The decimal number in {@code s[from, from + count)}, or -1 if any of it is not a digit. */
    private static int digits(String s, int from, int count) {
        int v = 0;
        for (int i = from; i < from + count; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }
}
