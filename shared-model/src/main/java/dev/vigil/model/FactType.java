package dev.vigil.model;

import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Wire names of the facts. A name, once released, never changes meaning: a changed record keeps
 * its name and gets an {@link FactUpcaster} from the previous schema version.
 */
public final class FactType {
    private static final Map<String, Class<? extends AgentFact>> BY_NAME = Arrays
            .stream(AgentFact.class.getPermittedSubclasses())
            .map(FactType::asFact)
            .collect(Collectors.toUnmodifiableMap(Class::getSimpleName, Function.identity()));

    private FactType() {
    }

    public static String nameOf(AgentFact fact) {
        return fact.getClass().getSimpleName();
    }

    public static Optional<Class<? extends AgentFact>> byName(String name) {
        return Optional.ofNullable(BY_NAME.get(name));
    }

    public static java.util.Set<String> names() {
        return BY_NAME.keySet();
    }

    @SuppressWarnings("unchecked")
    private static Class<? extends AgentFact> asFact(Class<?> c) {
        return (Class<? extends AgentFact>) c;
    }
}
