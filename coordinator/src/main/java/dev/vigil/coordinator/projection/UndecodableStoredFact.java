package dev.vigil.coordinator.projection;

import java.sql.SQLException;

/** A stored fact that no longer decodes: the store was edited or the codec lost an upcaster (run verify). */
final class UndecodableStoredFact extends SQLException {
    UndecodableStoredFact(Exception cause) {
        super("a stored fact does not decode (run verify): " + cause.getMessage(), cause);
    }
}
