package dev.vigil.agent.net;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Private fixture until the shared NetLab lands: network namespaces named {@code vn<random>-x}, veth links between
 * them, commands inside them, and Java code run on a thread that has entered a namespace (setns), so sockets opened
 * there live in it. Everything is removed on close, and namespaces left by a crashed earlier run at start.
 */
final class NetnsLab implements AutoCloseable {
    private static final String PREFIX = "vn";
    private final String id = PREFIX + UUID.randomUUID().toString().substring(0, 6);
    private final Map<String, ExecutorService> threads = new LinkedHashMap<>();
    private final List<String> namespaces = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    /** A lab, or a skipped test outside CI when this is not root with iproute2; under CI=true, a failure. */
    static NetnsLab create() {
        boolean root = "root".equals(System.getProperty("user.name"));
        boolean iproute2 = Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"))
                || Files.isExecutable(Path.of("/usr/bin/ip"));
        boolean capable = root && iproute2;
        if (!capable) {
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException("network namespace tests need root and iproute2 (CI=true)");
            }
            Assumptions.abort("needs root and iproute2");
        }
        removeStale();
        return new NetnsLab();
    }

    /** Fails under CI=true, skips otherwise, when a tool a test needs is not installed. */
    static void requireTool(String path) {
        if (!Files.isExecutable(Path.of(path))) {
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(path + " is required (CI=true)");
            }
            Assumptions.abort("needs " + path);
        }
    }

    /** Namespaces from an earlier run that died before its cleanup. */
    private static void removeStale() {
        for (String line : sh("ip", "netns", "list").split("\n")) {
            String name = line.split(" ")[0];
            if (name.matches(PREFIX + "[0-9a-f]{6}-[a-z0-9]+")) {
                killProcessesIn(name);
                sh("ip", "netns", "del", name);
            }
        }
    }

    /** Creates namespace {@code short} (lo up, no DAD on new links) and returns its full name. */
    String namespace(String shortName) {
        String ns = id + "-" + shortName;
        sh("ip", "netns", "add", ns);
        namespaces.add(ns);
        in(ns, "ip", "link", "set", "lo", "up");
        in(ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0");
        return ns;
    }

    /** A veth pair {@code nameA}@nsA -- {@code nameB}@nsB, both up. */
    void veth(String nsA, String nameA, String nsB, String nameB) {
        sh("ip", "link", "add", nameA, "netns", nsA, "type", "veth", "peer", "name", nameB, "netns", nsB);
        in(nsA, "ip", "link", "set", nameA, "up");
        in(nsB, "ip", "link", "set", nameB, "up");
        awaitCarrier(nsA, nameA);
        awaitCarrier(nsB, nameB);
    }

    /** The kernel turns carrier on asynchronously (linkwatch) after "up": wait for LOWER_UP. */
    void awaitCarrier(String ns, String link) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!in(ns, "ip", "-o", "link", "show", link).contains("LOWER_UP")) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(link + " in " + ns + " has no carrier after 10 s");
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    /** Runs a command inside a namespace and returns its standard output; a non-zero exit fails. */
    String in(String ns, String... command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(command));
        return sh(full.toArray(String[]::new));
    }

    /** Starts a long-running command inside a namespace; it is killed on close. Output goes to {@code out}. */
    Process start(String ns, Path out, String... command) throws IOException {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", ns));
        full.addAll(List.of(command));
        Process p = new ProcessBuilder(full).redirectErrorStream(false)
                .redirectOutput(out.toFile()).redirectError(out.resolveSibling(out.getFileName() + ".err").toFile())
                .start();
        processes.add(p);
        return p;
    }

    MacAddress mac(String ns, String link) {
        String out = in(ns, "ip", "-o", "link", "show", link);
        int at = out.indexOf("link/ether ");
        return MacAddress.parse(out.substring(at + 11, at + 28));
    }

    /** Runs {@code body} on a thread that has entered {@code ns}: sockets it opens belong to that namespace. */
    <T> T inside(String ns, Callable<T> body) throws Exception {
        ExecutorService thread = threads.computeIfAbsent(ns, n -> Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(() -> {
                enter(n);
                r.run();
            }, "netns-" + n);
            t.setDaemon(true);
            return t;
        }));
        try {
            return thread.submit(body).get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    private static void enter(String ns) {
        int fd = Syscalls.LIBC.open("/var/run/netns/" + ns, 0x80000); // O_RDONLY | O_CLOEXEC
        if (fd < 0 || Syscalls.LIBC.setns(fd, LinuxAbi.CLONE_NEWNET) != 0) {
            throw new IllegalStateException("cannot enter namespace " + ns + ": errno " + Syscalls.errno());
        }
        Syscalls.LIBC.close(fd);
    }

    /** Processes a test started inside the namespace (a capture left by a killed JVM): deleting it would not stop them. */
    private static void killProcessesIn(String ns) {
        for (String pid : sh("ip", "netns", "pids", ns).split("\\s+")) {
            if (pid.matches("\\d+")) {
                try {
                    sh("kill", "-9", pid);
                } catch (IllegalStateException e) {
                    // already gone
                }
            }
        }
    }

    static String sh(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", command));
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited " + p.exitValue() + ": " + text);
            }
            return text;
        } catch (IOException e) {
            throw new IllegalStateException(String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), e);
        }
    }

    @Override
    public void close() {
        for (Process p : processes) {
            p.destroy();
            try {
                if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        threads.values().forEach(ExecutorService::shutdownNow);
        for (String ns : namespaces) {
            try {
                killProcessesIn(ns);
                sh("ip", "netns", "del", ns); // takes its veth ends with it
            } catch (IllegalStateException e) {
                System.err.println("cleanup: " + e.getMessage());
            }
        }
    }

}
