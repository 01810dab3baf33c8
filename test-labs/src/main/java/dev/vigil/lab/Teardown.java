package dev.vigil.lab;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;

/**
 * A lab's close, step by step: a step that fails is remembered and the next one still runs, so a lab removes all it
 * can even when one of its parts refuses; the failures are reported together at the end.
 */
final class Teardown {
    private final List<RuntimeException> failures = new ArrayList<>();

    void step(Runnable step) {
        try {
            step.run();
        } catch (RuntimeException e) {
            failures.add(e);
        }
    }

    <T> void each(Collection<? extends T> parts, Consumer<? super T> close) {
        for (T part : parts) {
            step(() -> close.accept(part));
        }
    }

    /** Throws when any step failed, naming the lab, with every failure attached. */
    void finish(String lab) {
        if (!failures.isEmpty()) {
            IllegalStateException failure = new IllegalStateException(lab + " cleanup was incomplete");
            failures.forEach(failure::addSuppressed);
            throw failure;
        }
    }
}
