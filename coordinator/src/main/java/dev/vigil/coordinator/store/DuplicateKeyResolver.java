package dev.vigil.coordinator.store;

import org.axonframework.common.jdbc.PersistenceExceptionResolver;

import java.sql.SQLException;

/**
 * Tells Axon a unique violation from any other failure by SQLSTATE 23505, which PostgreSQL and H2
 * both use. Axon's own resolver matches vendor error codes and misses PostgreSQL's (0), so a lost
 * race on an agent's stream surfaced as a generic store error instead of a retryable conflict.
 */
final class DuplicateKeyResolver implements PersistenceExceptionResolver {
    private static final String UNIQUE_VIOLATION = "23505";

    @Override
    public boolean isDuplicateKeyViolation(Exception exception) {
        for (Throwable t = exception; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                for (SQLException s = sql; s != null; s = s.getNextException()) {
                    if (UNIQUE_VIOLATION.equals(s.getSQLState())) {
                        return true;
                    }
                }
            }
        }
        return false;
    }
}
