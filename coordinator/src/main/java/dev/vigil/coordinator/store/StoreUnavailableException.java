package dev.vigil.coordinator.store;

/** The database could not be reached or refused to commit; callers answer 503 and the agent retries. */
public final class StoreUnavailableException extends RuntimeException {
    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
