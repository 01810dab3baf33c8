package dev.vigil.agent.config;

import dev.vigil.agent.check.PgCheckSettings;
import java.time.Duration;
import java.util.Optional;

/**
 * A {@code vrrp_script} block. Exit 0 is success; {@code fall} consecutive failures make it failed
 * and {@code rise} consecutive successes make it good again.
 *
 * @param interval  time between runs (keepalived default 1 s)
 * @param timeout   a run taking longer counts as failed (default: the interval)
 * @param weight    -253..253, default 0 (0 = failure means FAULT)
 * @param initFail  start in the failed state instead of one success away from good
 * @param script    the command; empty when {@code pgCheck} is given instead
 * @param pgCheck   a native PostgreSQL check ({@code pg_check { }} block) run instead of a command
 */
public record VrrpScript(String name, String script, Duration interval, Duration timeout, int weight,
                         boolean weightReverse, int rise, int fall, Optional<ScriptUser> user, boolean initFail,
                         Optional<PgCheckSettings> pgCheck) {

    /** A command script (no PostgreSQL check). */
    public VrrpScript(String name, String script, Duration interval, Duration timeout, int weight,
                      boolean weightReverse, int rise, int fall, Optional<ScriptUser> user, boolean initFail) {
        this(name, script, interval, timeout, weight, weightReverse, rise, fall, user, initFail, Optional.empty());
    }
}
