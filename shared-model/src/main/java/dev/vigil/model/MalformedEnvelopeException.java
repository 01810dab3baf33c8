package dev.vigil.model;

/**
 * A batch or envelope that cannot be accepted. {@link #field()} is a JSON path such as
 * {@code events[2].fact.router.vrid}, so the sender learns exactly what to fix.
 */
public final class MalformedEnvelopeException extends Exception {
    private final String field;
    private final String problem;

    public MalformedEnvelopeException(String field, String problem) {
        super(field + ": " + problem);
        this.field = field;
        this.problem = problem;
    }

    public String field() {
        return field;
    }

    public String problem() {
        return problem;
    }
}
