package dev.vigil.coordinator.api;

import dev.vigil.model.EventEnvelope;
import io.vertx.core.MultiMap;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Validated query parameters: each is read once, by name, against a strict shape, and a request
 * naming a parameter the call does not know is refused (a typo must not silently widen a query).
 */
final class QueryParams {
    private static final Pattern ADDRESS = Pattern.compile("[0-9A-Fa-f:.]{2,45}(/[0-9]{1,3})?");
    private static final Pattern FACT_TYPE = Pattern.compile("[A-Za-z]{1,64}");
    static final Instant BEGINNING = Instant.EPOCH;
    static final Instant END = Instant.parse("9999-12-31T23:59:59Z");

    private final MultiMap query;

    private QueryParams(MultiMap query) {
        this.query = query;
    }

    static QueryParams of(MultiMap query, Set<String> known) throws BadParameter {
        for (String name : query.names()) {
            if (!known.contains(name)) {
                throw new BadParameter(name, "unknown parameter; this call takes " + String.join(", ", new java.util.TreeSet<>(known)));
            }
            if (query.getAll(name).size() > 1) {
                throw new BadParameter(name, "given more than once");
            }
        }
        return new QueryParams(query);
    }

    private Optional<String> raw(String name) {
        return Optional.ofNullable(query.get(name));
    }

    Optional<Instant> instant(String name) throws BadParameter {
        Optional<String> v = raw(name);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        try {
            Instant t = Instant.parse(v.get());
            if (t.isBefore(BEGINNING) || t.isAfter(END)) {
                throw new BadParameter(name, "out of range 1970-01-01T00:00:00Z..9999-12-31T23:59:59Z");
            }
            return Optional.of(t);
        } catch (DateTimeParseException e) {
            throw new BadParameter(name, "expected an ISO-8601 UTC instant such as 2026-11-25T03:12:07.118Z");
        }
    }

    Instant requiredInstant(String name) throws BadParameter {
        return instant(name).orElseThrow(() -> new BadParameter(name, "required"));
    }

    Optional<Integer> integer(String name, int min, int max) throws BadParameter {
        Optional<String> v = raw(name);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        if (!v.get().matches("[0-9]{1,9}")) {
            throw new BadParameter(name, "expected an integer " + min + ".." + max);
        }
        int n = Integer.parseInt(v.get());
        if (n < min || n > max) {
            throw new BadParameter(name, "expected an integer " + min + ".." + max);
        }
        return Optional.of(n);
    }

    Optional<Long> cursor(String name) throws BadParameter {
        Optional<String> v = raw(name);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        if (!v.get().matches("[0-9]{1,18}")) {
            throw new BadParameter(name, "expected a cursor returned by an earlier page (a decimal number)");
        }
        return Optional.of(Long.parseLong(v.get()));
    }

    /** Agent ids and cluster names share the agent id shape (they appear in URLs and logs). */
    Optional<String> name(String name) throws BadParameter {
        return matching(name, EventEnvelope.AGENT_ID, "expected a name: letters, digits, '.', '_', '-' (at most 64)");
    }

    Optional<String> address(String name) throws BadParameter {
        return matching(name, ADDRESS, "expected an IPv4 or IPv6 address such as 10.0.0.10");
    }

    Optional<String> factType(String name) throws BadParameter {
        return matching(name, FACT_TYPE, "expected a fact type such as RouterStateChanged");
    }

    /** Free text matched as a substring (never as a pattern): printable, at most 200 characters. */
    Optional<String> text(String name) throws BadParameter {
        Optional<String> v = raw(name);
        if (v.isPresent() && (v.get().isEmpty() || v.get().length() > 200 || !v.get().chars().allMatch(c -> c >= 0x20 && c != 0x7f))) {
            throw new BadParameter(name, "expected 1..200 printable characters");
        }
        return v;
    }

    <E extends Enum<E>> Optional<E> oneOf(String name, Class<E> type) throws BadParameter {
        Optional<String> v = raw(name);
        if (v.isEmpty()) {
            return Optional.empty();
        }
        for (E e : type.getEnumConstants()) {
            if (e.name().equals(v.get())) {
                return Optional.of(e);
            }
        }
        throw new BadParameter(name, "expected one of " + List.of(type.getEnumConstants()));
    }

    private Optional<String> matching(String name, Pattern shape, String message) throws BadParameter {
        Optional<String> v = raw(name);
        if (v.isPresent() && !shape.matcher(v.get()).matches()) {
            throw new BadParameter(name, message);
        }
        return v;
    }
}
