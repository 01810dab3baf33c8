package dev.vigil.agent.net;

import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.types.size_t;
import jnr.ffi.types.ssize_t;

/**
 * The glibc functions the data plane calls, bound by jnr-ffi (pattern of jnr-unixsocket's {@code Native.java}).
 * errno is saved by jnr after each call; {@link Syscalls} reads it on the same thread.
 */
public interface LibC {
    int socket(int domain, int type, int protocol);

    int setsockopt(int fd, int level, int name, @In byte[] value, int length);

    int bind(int fd, @In byte[] address, int length);

    int getsockname(int fd, @Out byte[] address, @In @Out int[] length);

    @ssize_t long sendto(int fd, @In byte[] buffer, @size_t long length, int flags, @In byte[] address, int addressLength);

    @ssize_t long sendmsg(int fd, Pointer message, int flags);

    @ssize_t long recvmsg(int fd, Pointer message, int flags);

    int shutdown(int fd, int how);

    int close(int fd);

    int open(String path, int flags);

    int setns(int fd, int nsType);

    int if_nametoindex(String name);

    String strerror(int errno);

    int prctl(int option, long arg2, long arg3, long arg4, long arg5);

    int gettid();

    int setpriority(int which, int who, int priority);

    /** {@code param} is a {@code struct sched_param}: one int, the static priority. */
    int sched_setscheduler(int pid, int policy, @In int[] param);

    int timerfd_create(int clockId, int flags);

    /** {@code value} is a {@code struct itimerspec}; the old value is not asked for (null). */
    int timerfd_settime(int fd, int flags, Pointer value, Pointer old);

    @ssize_t long read(int fd, Pointer buffer, @size_t long count);
}
