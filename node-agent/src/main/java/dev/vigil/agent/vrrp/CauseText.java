package dev.vigil.agent.vrrp;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * A transition's cause in words, formatted when first read. A backup's takeover returns its first advert together
 * with the cause; formatting that (numbers, addresses) before the advert leaves cost 20-35 µs of the path from the
 * timer's wake-up to {@code sendmsg} (bench/RESULTS.md, sixth pass), so the host reads it only after sending.
 * Two causes are equal when their texts are.
 */
public final class CauseText {
    private Supplier<String> format; // null once formatted
    private String text;

    private CauseText(Supplier<String> format, String text) {
        this.format = format;
        this.text = text;
    }

    public static CauseText of(String text) {
        return new CauseText(null, Objects.requireNonNull(text, "text"));
    }

    /** {@code format} must only read values it captured: it runs later, after the router has moved on. */
    public static CauseText later(Supplier<String> format) {
        return new CauseText(Objects.requireNonNull(format, "format"), null);
    }

    public String text() {
        Supplier<String> f = format;
        if (f != null) {
            text = f.get(); // read on the router's loop; a racing reader would at worst format it again
            format = null;
        }
        return text;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CauseText c && c.text().equals(text());
    }

    @Override
    public int hashCode() {
        return text().hashCode();
    }

    @Override
    public String toString() {
        return text();
    }
}
