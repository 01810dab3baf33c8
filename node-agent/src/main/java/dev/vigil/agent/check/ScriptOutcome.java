package dev.vigil.agent.check;

import java.time.Duration;

/**
 * How one run of a script ended, with keepalived's wording for the detail. {@code code} is what a fact records: the
 * exit status, 128 + the signal, or -1 when the script timed out or could not start.
 */
public sealed interface ScriptOutcome {

    Duration took();

    default boolean succeeded() {
        return this instanceof Exited e && e.status() == 0;
    }

    String detail();

    int code();

    record Exited(int status, Duration took) implements ScriptOutcome {
        public String detail() {
            return "exit status " + status;
        }

        public int code() {
            return status;
        }
    }

    /**
     * Ended by a signal. The JDK reports a signalled child as 128 + signal, the same number a shell gives when its own
     * child was signalled, so a status above 128 is read as a signal.
     */
    record Signalled(int signal, Duration took) implements ScriptOutcome {
        public String detail() {
            return "killed by signal " + signal;
        }

        public int code() {
            return 128 + signal;
        }
    }

    record TimedOut(Duration timeout, Duration took) implements ScriptOutcome {
        public String detail() {
            return "timed out after " + Magnitudes.duration(timeout);
        }

        public int code() {
            return -1;
        }
    }

    record NotStarted(String reason, Duration took) implements ScriptOutcome {
        public String detail() {
            return "could not start: " + reason;
        }

        public int code() {
            return -1;
        }
    }

    /** The JDK's exit value as an outcome: above 128 (and a real signal number) means killed by that signal. */
    static ScriptOutcome fromExitValue(int value, Duration took) {
        if (value > 128 && value <= 128 + 64) {
            return new Signalled(value - 128, took);
        }
        return new Exited(value, took);
    }
}
