package dev.vigil.agent.config;

import java.util.Objects;

/**
 * One thing the config check has to say about a file, at a place in it.
 * Printed as {@code file:line: error: message} or {@code file:line: warning: message}, the form
 * compilers use, so editors and CI logs can jump to the line.
 */
public record Finding(Severity severity, String file, int line, String message) {

    public enum Severity { ERROR, WARNING }

    public Finding {
        Objects.requireNonNull(severity, "severity");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(message, "message");
    }

    static Finding error(SourcePos at, String message) {
        return new Finding(Severity.ERROR, at.file(), at.line(), message);
    }

    static Finding warning(SourcePos at, String message) {
        return new Finding(Severity.WARNING, at.file(), at.line(), message);
    }

    public boolean isError() {
        return severity == Severity.ERROR;
    }

    /** {@code file:line: error: message}; line 0 (a finding about the whole run) prints as {@code file: ...}. */
    public String format() {
        String where = line > 0 ? file + ":" + line : file;
        return where + ": " + (isError() ? "error" : "warning") + ": " + message;
    }

    @Override
    public String toString() {
        return format();
    }
}
