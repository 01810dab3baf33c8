package dev.vigil.agent.net;

import jnr.ffi.LastError;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Thin checked wrappers over {@link LibC}: every failure becomes a {@link LinuxCallFailed} naming the call. */
final class Syscalls {
    static final LibC LIBC = LibraryLoader.create(LibC.class).load("c");
    static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private Syscalls() {}

    static int errno() {
        return LastError.getLastError(RUNTIME);
    }

    static LinuxCallFailed failure(String what, int errno) {
        return failure(what, errno, "");
    }

    /** With the kernel's own explanation (netlink extended ACK) after the errno text, when there is one. */
    static LinuxCallFailed failure(String what, int errno, String detail) {
        String text;
        try {
            text = LIBC.strerror(errno);
        } catch (RuntimeException e) {
            text = "unknown error";
        }
        return new LinuxCallFailed(what, errno, detail.isEmpty() ? text : text + ": " + detail);
    }

    static int check(int rc, String what) throws LinuxCallFailed {
        if (rc < 0) {
            throw failure(what, errno());
        }
        return rc;
    }

    static int socket(int domain, int type, int protocol, String what) throws LinuxCallFailed {
        return check(LIBC.socket(domain, type | LinuxAbi.SOCK_CLOEXEC, protocol), "socket(" + what + ")");
    }

    static void setInt(int fd, int level, int option, int value, String what) throws LinuxCallFailed {
        setBytes(fd, level, option, hostInt(value), what);
    }

    static void setBytes(int fd, int level, int option, byte[] value, String what) throws LinuxCallFailed {
        check(LIBC.setsockopt(fd, level, option, value, value.length), "setsockopt(" + what + ")");
    }

    static void bindToDevice(int fd, String interfaceName) throws LinuxCallFailed {
        byte[] name = (interfaceName + "\0").getBytes(StandardCharsets.US_ASCII);
        setBytes(fd, LinuxAbi.SOL_SOCKET, LinuxAbi.SO_BINDTODEVICE, name, "SO_BINDTODEVICE " + interfaceName);
    }

    static void receiveTimeout(int fd, long millis) throws LinuxCallFailed {
        ByteBuffer tv = ByteBuffer.allocate(LinuxAbi.SIZEOF_TIMEVAL).order(ByteOrder.nativeOrder());
        tv.putLong(0, millis / 1000).putLong(8, (millis % 1000) * 1000);
        setBytes(fd, LinuxAbi.SOL_SOCKET, LinuxAbi.SO_RCVTIMEO, tv.array(), "SO_RCVTIMEO");
    }

    /** The index of a named interface in the calling thread's network namespace. */
    static int interfaceIndex(String interfaceName) throws LinuxCallFailed {
        if (interfaceName.isEmpty() || interfaceName.length() >= LinuxAbi.IFNAMSIZ) {
            throw new LinuxCallFailed("interface name '" + interfaceName + "'", LinuxAbi.EINVAL,
                    "must be 1 to 15 characters");
        }
        int index = LIBC.if_nametoindex(interfaceName);
        if (index == 0) {
            throw failure("interface " + interfaceName, errno());
        }
        return index;
    }

    static void closeQuietly(int fd) {
        if (fd >= 0) {
            LIBC.close(fd);
        }
    }

    static byte[] hostInt(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array();
    }
}
