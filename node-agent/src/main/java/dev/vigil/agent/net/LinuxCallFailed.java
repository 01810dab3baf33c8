package dev.vigil.agent.net;

import java.io.IOException;

/** A Linux call failed: says which call, on what, and the kernel's errno with its text. */
public final class LinuxCallFailed extends IOException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    public LinuxCallFailed(String what, int errno, String reason) {
        super(what + ": " + reason + " (errno " + errno + ")");
        this.errno = errno;
    }

    /** The kernel's errno (positive), or 0 when the failure is not an errno (a malformed reply). */
    public int errno() {
        return errno;
    }
}
