package dev.vigil.agent.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * keepalived's {@code check_script_secure}: a script is unsafe when any component of its path (from {@code /} to the
 * file) is owned by a non-root user, or is a regular file or a directory without the sticky bit that is writable by
 * others, or by a group other than root's. With {@code enable_script_security} an unsafe script is refused; without
 * it, it runs and the agent warns. Also: the script must exist, be a regular file, and be executable.
 */
public final class ScriptSecurity {

    private static final int S_IWGRP = 0020;
    private static final int S_IWOTH = 0002;
    private static final int S_ISVTX = 01000;

    private ScriptSecurity() {}

    /** A bare program name is looked up on {@code path} (colon-separated), as execvp would. */
    public static Optional<Path> locate(String program, String path) {
        if (program.contains("/")) {
            return Optional.of(Path.of(program).toAbsolutePath());
        }
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, program);
            if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** Why the script cannot be run at all (missing, not a file, not executable), or empty. */
    public static Optional<String> unusable(Path script) {
        if (!Files.exists(script)) {
            return Optional.of("script " + script + " does not exist");
        }
        if (!Files.isRegularFile(script)) {
            return Optional.of("script " + script + " is not a regular file");
        }
        if (!Files.isExecutable(script)) {
            return Optional.of("script " + script + " is not executable");
        }
        return Optional.empty();
    }

    /** The first unsafe component of the script's path, said plainly, or empty when every component is safe. */
    public static Optional<String> unsafe(Path script) {
        List<Path> components = new ArrayList<>();
        Path absolute = script.toAbsolutePath().normalize();
        Path root = absolute.getRoot();
        components.add(root);
        Path walked = root;
        for (Path name : absolute) {
            walked = walked.resolve(name);
            components.add(walked);
        }
        for (Path component : components) {
            Map<String, Object> attributes;
            try {
                attributes = Files.readAttributes(component, "unix:uid,gid,mode");
            } catch (IOException | UnsupportedOperationException e) {
                return Optional.of("unsafe permissions for script " + script + ": cannot stat " + component + " (" + e
                        + ")");
            }
            int uid = (Integer) attributes.get("uid");
            int gid = (Integer) attributes.get("gid");
            int mode = (Integer) attributes.get("mode");
            boolean directory = Files.isDirectory(component);
            String octal = String.format("%04o", mode & 07777);
            if (uid != 0) {
                return Optional.of("unsafe permissions for script " + script + ": " + component + " is owned by uid "
                        + uid + ", not root");
            }
            boolean stickyDirectory = directory && (mode & S_ISVTX) != 0;
            if (stickyDirectory) {
                continue;
            }
            if ((mode & S_IWOTH) != 0) {
                return Optional.of("unsafe permissions for script " + script + ": " + component
                        + " is writable by others (mode " + octal + ")");
            }
            if (gid != 0 && (mode & S_IWGRP) != 0) {
                return Optional.of("unsafe permissions for script " + script + ": " + component
                        + " is writable by group " + gid + " (mode " + octal + ")");
            }
        }
        return Optional.empty();
    }
}
