package dev.vigil.agent.check;

import dev.vigil.agent.config.VrrpScript;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A {@code vrrp_script} with a {@code script}: a {@link Probe} for {@link CheckRunner}, exactly like
 * {@link PostgresCheck}. Exit 0 passes ("exit status 0"); anything else fails with keepalived's words: "exit status
 * 1", "killed by signal 9", "timed out after 2 s". A script refused at preparation (missing, not executable, unsafe
 * under {@code enable_script_security}, unknown user) fails every run with that reason; {@link #refusal()} lets the
 * daemon report it at startup.
 */
public final class ScriptCheck implements Probe {

    private final String name;
    private final ScriptLauncher.Prepared prepared;
    private final Duration timeout;
    private final ScriptLauncher launcher;

    public ScriptCheck(String name, ScriptLauncher.Prepared prepared, Duration timeout, ScriptLauncher launcher) {
        this.name = name;
        this.prepared = prepared;
        this.timeout = timeout;
        this.launcher = launcher;
    }

    /** Prepares the script's command (blocking: file system and user lookups); call at startup or reload. */
    public static ScriptCheck of(VrrpScript script, ScriptLauncher launcher) {
        if (script.script().isBlank()) {
            throw new IllegalArgumentException("vrrp_script " + script.name() + " has no script (a pg_check?)");
        }
        return new ScriptCheck(script.name(), launcher.prepare(script.script(), script.user()), script.timeout(),
                launcher);
    }

    public String name() {
        return name;
    }

    /** Why this script will never run, e.g. "unsafe permissions for script /tmp/x.sh: /tmp/x.sh is writable by ..." */
    public Optional<String> refusal() {
        return prepared instanceof ScriptLauncher.Refused r ? Optional.of(r.reason()) : Optional.empty();
    }

    @Override
    public CompletableFuture<ProbeResult> run() {
        if (prepared instanceof ScriptLauncher.Refused refused) {
            return CompletableFuture.completedFuture(ProbeResult.fail(refused.reason(), Duration.ZERO));
        }
        ScriptLauncher.Ready ready = (ScriptLauncher.Ready) prepared;
        return launcher.run(ready, List.of(), timeout)
                .thenApply(outcome -> new ProbeResult(outcome.succeeded(), outcome.detail(), outcome.took()));
    }

    /** The launcher is shared and closed by its owner, which also ends scripts still running. */
    @Override
    public void close() {}
}
