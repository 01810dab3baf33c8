package dev.vigil.agent.net;

import jnr.ffi.Memory;
import jnr.ffi.Pointer;

import static dev.vigil.agent.net.LinuxAbi.*;

/**
 * One native buffer holding a {@code struct msghdr} with its iovec, address, control and data areas, for
 * recvmsg/sendmsg. Not thread-safe: each reader thread (or a synchronized sender) owns one.
 */
final class MessageBlock {
    private static final int IOV = 64, NAME = 96, NAME_SIZE = 32, CONTROL = 128, CONTROL_SIZE = 256, DATA = 384;

    private final Pointer memory;
    private final int dataCapacity;

    MessageBlock(int dataCapacity) {
        this.dataCapacity = dataCapacity;
        this.memory = Memory.allocateDirect(Syscalls.RUNTIME, DATA + dataCapacity, true);
    }

    Pointer header() {
        return memory;
    }

    int dataCapacity() {
        return dataCapacity;
    }

    /** Prepares the header for a recvmsg of up to dataCapacity bytes. */
    void prepareReceive() {
        prepare(NAME_SIZE, CONTROL_SIZE, dataCapacity);
    }

    /** Prepares the header for a sendmsg of the given address, control bytes and data. */
    void prepareSend(byte[] name, byte[] control, byte[] data) {
        if (data.length > dataCapacity || name.length > NAME_SIZE || control.length > CONTROL_SIZE) {
            throw new IllegalArgumentException("message of " + data.length + " bytes does not fit");
        }
        memory.put(NAME, name, 0, name.length);
        memory.put(CONTROL, control, 0, control.length);
        memory.put(DATA, data, 0, data.length);
        prepare(name.length, control.length, data.length);
    }

    private void prepare(int nameLength, int controlLength, int dataLength) {
        long base = memory.address();
        memory.putLong(IOV, base + DATA);
        memory.putLong(IOV + 8, dataLength);
        memory.putLong(MSGHDR_NAME, nameLength == 0 ? 0 : base + NAME);
        memory.putInt(MSGHDR_NAMELEN, nameLength);
        memory.putInt(MSGHDR_NAMELEN + 4, 0);
        memory.putLong(MSGHDR_IOV, base + IOV);
        memory.putLong(MSGHDR_IOVLEN, 1);
        memory.putLong(MSGHDR_CONTROL, controlLength == 0 ? 0 : base + CONTROL);
        memory.putLong(MSGHDR_CONTROLLEN, controlLength);
        memory.putInt(MSGHDR_FLAGS, 0);
    }

    int flags() {
        return memory.getInt(MSGHDR_FLAGS);
    }

    byte[] data(int length) {
        byte[] out = new byte[length];
        memory.get(DATA, out, 0, length);
        return out;
    }

    /** Copies the received data into {@code into} (a buffer the caller reuses), without allocating. */
    void data(byte[] into, int length) {
        memory.get(DATA, into, 0, length);
    }

    byte[] name() {
        int length = Math.min(memory.getInt(MSGHDR_NAMELEN), NAME_SIZE);
        byte[] out = new byte[length];
        memory.get(NAME, out, 0, length);
        return out;
    }

    /** The control messages the kernel wrote, walked as CMSG_FIRSTHDR/CMSG_NXTHDR do. */
    void forEachControl(ControlVisitor visitor) {
        long length = Math.min(memory.getLong(MSGHDR_CONTROLLEN), CONTROL_SIZE);
        long offset = 0;
        while (offset + SIZEOF_CMSGHDR <= length) {
            long cmsgLength = memory.getLong(CONTROL + offset);
            if (cmsgLength < SIZEOF_CMSGHDR || offset + cmsgLength > length) {
                return;
            }
            int level = memory.getInt(CONTROL + offset + 8);
            int type = memory.getInt(CONTROL + offset + 12);
            byte[] data = new byte[(int) cmsgLength - SIZEOF_CMSGHDR];
            memory.get(CONTROL + offset + SIZEOF_CMSGHDR, data, 0, data.length);
            visitor.visit(level, type, data);
            offset += (cmsgLength + 7) & ~7L;
        }
    }

    /**
     * The kernel's receive time ({@code SCM_TIMESTAMPNS}, {@code CLOCK_REALTIME} nanoseconds since the epoch) of the
     * datagram just received, or -1 when there is none; reads the control area in place, allocating nothing.
     */
    long receiveStamp() {
        long length = Math.min(memory.getLong(MSGHDR_CONTROLLEN), CONTROL_SIZE);
        long offset = 0;
        while (offset + SIZEOF_CMSGHDR <= length) {
            long cmsgLength = memory.getLong(CONTROL + offset);
            if (cmsgLength < SIZEOF_CMSGHDR || offset + cmsgLength > length) {
                return -1;
            }
            if (memory.getInt(CONTROL + offset + 8) == SOL_SOCKET && memory.getInt(CONTROL + offset + 12) == SCM_TIMESTAMPNS
                    && cmsgLength >= SIZEOF_CMSGHDR + SIZEOF_TIMESPEC) {
                long at = CONTROL + offset + SIZEOF_CMSGHDR;
                return memory.getLong(at) * 1_000_000_000L + memory.getLong(at + 8);
            }
            offset += (cmsgLength + 7) & ~7L;
        }
        return -1;
    }

    interface ControlVisitor {
        void visit(int level, int type, byte[] data);
    }
}
