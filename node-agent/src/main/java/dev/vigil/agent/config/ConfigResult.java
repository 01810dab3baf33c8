package dev.vigil.agent.config;

import java.util.List;

/**
 * What reading a keepalived.conf gives: a valid config with its warnings, or the findings that
 * stopped it (at least one error). Never a half-built config.
 */
public sealed interface ConfigResult {

    /** Every finding, errors and warnings, in file order. */
    List<Finding> findings();

    record Valid(AgentConfig config, List<Finding> findings) implements ConfigResult {
        public Valid {
            findings = List.copyOf(findings);
        }
    }

    record Invalid(List<Finding> findings) implements ConfigResult {
        public Invalid {
            findings = List.copyOf(findings);
            if (findings.stream().noneMatch(Finding::isError)) {
                throw new IllegalArgumentException("an invalid config needs at least one error");
            }
        }
    }
}
