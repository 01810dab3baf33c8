package dev.vigil.coordinator.api;

/** A query parameter the API refuses; answered 400 naming it. */
final class BadParameter extends Exception {
    private final String parameter;

    BadParameter(String parameter, String message) {
        super(message);
        this.parameter = parameter;
    }

    String parameter() {
        return parameter;
    }
}
