package dev.vigil.agent.config;

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
 */
public record VrrpScript(String name, String script, Duration interval, Duration timeout, int weight,
                         boolean weightReverse, int rise, int fall, Optional<ScriptUser> user, boolean initFail) {}
