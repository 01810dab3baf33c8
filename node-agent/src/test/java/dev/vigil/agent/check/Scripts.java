package dev.vigil.agent.check;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Writes small executable shell scripts for tests, and asks pgrep about processes they left. */
public final class Scripts {

    private Scripts() {}

    public static Path write(Path dir, String name, String body) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, "#!/bin/sh\n" + body + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    /** The pids of processes whose command line contains {@code marker}. */
    public static List<String> pgrep(String marker) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("pgrep", "-f", marker).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(5, TimeUnit.SECONDS);
        return out.lines().filter(l -> !l.isBlank()).toList();
    }

    /** Cleanup: SIGKILL, by pid, each process carrying the test's unique marker. */
    public static void killAll(String marker) throws IOException, InterruptedException {
        for (String pid : pgrep(marker)) {
            ProcessHandle.of(Long.parseLong(pid.strip())).ifPresent(ProcessHandle::destroyForcibly);
        }
    }
}
