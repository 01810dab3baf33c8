package dev.vigil.lab;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;

/** A long-lived process started by the lab (in a host's namespace or, for captures, in the root namespace). */
public final class HostProcess {

    private final List<String> command;
    private final Process process;
    private final Path log;

    HostProcess(List<String> command, Process process, Path log) {
        this.command = List.copyOf(command);
        this.process = process;
        this.log = log;
    }

    static HostProcess start(List<String> argv, Path log) {
        try {
            Process process = new ProcessBuilder(argv)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            return new HostProcess(argv, process, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", argv), e);
        }
    }

    public List<String> command() {
        return command;
    }

    /** The process id; {@code ip netns exec} execs the command, so this is the command itself. */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The file that receives the process's stdout and stderr. */
    public Path logFile() {
        return log;
    }

    /** Everything the process has printed so far. */
    public String log() {
        try {
            return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read log " + log, e);
        }
    }

    /** Waits until the log contains {@code text}; fails with the log if the process exits first or time runs out. */
    public void awaitLog(String text, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            String current = log();
            if (current.contains(text)) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError("process " + String.join(" ", command) + " exited " + process.exitValue()
                        + " before printing '" + text + "'; log:\n" + current);
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("process " + String.join(" ", command) + " did not print '" + text + "' within "
                        + timeout.toMillis() + " ms; log:\n" + current);
            }
            sleep(50);
        }
    }

    /** Sends a signal by name, e.g. "HUP", "TERM", "USR1". */
    public void signal(String name) {
        Exec.check("kill", "-" + name, Long.toString(pid()));
    }

    /** SIGTERM, then SIGKILL if still alive after {@code grace}. Returns the exit code. */
    public int stop(Duration grace) {
        if (process.isAlive()) {
            process.destroy();
            if (waitFor(grace).isEmpty()) {
                return kill();
            }
        }
        return process.exitValue();
    }

    /** SIGKILL and reap. Returns the exit code (137 style codes are reported by Java as 137). */
    public int kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return process.isAlive() ? -1 : process.exitValue();
    }

    /** Waits for the process to exit; empty if it is still running after {@code timeout}. */
    public OptionalInt waitFor(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)
                    ? OptionalInt.of(process.exitValue()) : OptionalInt.empty();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return OptionalInt.empty();
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public String toString() {
        return "HostProcess[pid=" + pid() + ", " + String.join(" ", command) + "]";
    }
}
