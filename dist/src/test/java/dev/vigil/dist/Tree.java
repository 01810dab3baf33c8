package dev.vigil.dist;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The source tree the dist checks read (the module's parent), and running a program in it. */
final class Tree {
    static final Path TOP = Path.of("..").toAbsolutePath().normalize();

    private Tree() {
    }

    static boolean onPath(String command) {
        for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (java.nio.file.Files.isExecutable(Path.of(d, command))) {
                return true;
            }
        }
        return false;
    }

    record Run(int status, String out) {
    }

    /** Runs {@code argv} in {@code dir}, stdout and stderr together; fails after {@code timeout}. */
    static Run run(Path dir, Duration timeout, String... argv) {
        try {
            Process p = new ProcessBuilder(List.of(argv)).directory(dir.toFile()).redirectErrorStream(true).start();
            p.getOutputStream().close();
            byte[][] out = new byte[1][];
            Thread reader = new Thread(() -> {
                try {
                    out[0] = p.getInputStream().readAllBytes();
                } catch (IOException e) {
                    out[0] = ("(output unreadable: " + e.getMessage() + ")").getBytes(StandardCharsets.UTF_8);
                }
            });
            reader.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError(String.join(" ", argv) + ": still running after " + timeout);
            }
            reader.join(5000);
            return new Run(p.exitValue(), out[0] == null ? "" : new String(out[0], StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}
