package dev.vigil.agent.net;

import dev.vigil.lab.Host;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Runs Java code inside a NetLab host: on a fresh thread that has entered the host's network namespace (setns,
 * which is per thread), so the sockets it opens belong to that namespace and stay there when the thread ends.
 */
final class InNamespace {
    private InNamespace() {}

    static <T> T call(Host host, Callable<T> body) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                enter(host.namespace());
                result.complete(body.call());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, "netns-" + host.namespace());
        thread.setDaemon(true);
        thread.start();
        try {
            return result.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception cause) {
                throw cause;
            }
            throw e;
        }
    }

    private static void enter(String namespace) {
        int fd = Syscalls.LIBC.open("/var/run/netns/" + namespace, 0x80000); // O_RDONLY | O_CLOEXEC
        if (fd < 0) {
            throw new IllegalStateException("cannot open namespace " + namespace + ": errno " + Syscalls.errno());
        }
        try {
            if (Syscalls.LIBC.setns(fd, LinuxAbi.CLONE_NEWNET) != 0) {
                throw new IllegalStateException("cannot enter namespace " + namespace + ": errno " + Syscalls.errno());
            }
        } finally {
            Syscalls.LIBC.close(fd);
        }
    }
}
