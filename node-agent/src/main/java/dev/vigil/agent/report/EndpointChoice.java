package dev.vigil.agent.report;

/**
 * Which coordinator endpoint the shipper sends its next batch to (pure). It stays on an endpoint
 * while it answers, and moves to the next one, round robin, when that endpoint is unreachable or
 * answers 5xx: every coordinator instance shares one store, so any live one will do. A 4xx or a
 * reply that stored nothing stays put: another instance reads the same store and the same tokens,
 * so it would answer the same.
 *
 * @param count   how many endpoints are configured (at least one)
 * @param current the index of the endpoint in use
 */
record EndpointChoice(int count, int current) {
    /** What became of one batch sent to the current endpoint. */
    enum Outcome {
        /** 200, and the reply says at least part of the batch is stored. */
        STORED,
        /** 200, but nothing of the batch is stored (a gap, or a coordinator that lost facts). */
        NOTHING_STORED,
        /** No HTTP reply: refused, reset, timed out. */
        UNREACHABLE,
        /** 5xx, 503 (its database is down) included. */
        SERVER_ERROR,
        /** 4xx: the request itself (token, body) is at fault, not the instance. */
        REFUSED;

        static Outcome ofStatus(int status) {
            return status >= 500 ? SERVER_ERROR : status == 200 ? STORED : REFUSED;
        }
    }

    EndpointChoice {
        if (count < 1 || current < 0 || current >= count) {
            throw new IllegalArgumentException("endpoint " + current + " of " + count);
        }
    }

    static EndpointChoice first(int count) {
        return new EndpointChoice(count, 0);
    }

    EndpointChoice after(Outcome outcome) {
        return switch (outcome) {
            case UNREACHABLE, SERVER_ERROR -> new EndpointChoice(count, (current + 1) % count);
            case STORED, NOTHING_STORED, REFUSED -> this;
        };
    }
}
