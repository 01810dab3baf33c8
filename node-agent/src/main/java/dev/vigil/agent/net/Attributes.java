package dev.vigil.agent.net;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Netlink attributes (struct rtattr / nlattr): {u16 length incl. 4-byte header, u16 type, data}, 4-byte aligned. */
final class Attributes {
    private Attributes() {}

    interface Visitor {
        void visit(int type, byte[] data);
    }

    static void forEach(byte[] buffer, int start, Visitor visitor) {
        ByteBuffer b = ByteBuffer.wrap(buffer).order(ByteOrder.nativeOrder());
        int offset = start;
        while (offset + 4 <= buffer.length) {
            int length = b.getShort(offset) & 0xFFFF;
            if (length < 4 || offset + length > buffer.length) {
                return;
            }
            int type = b.getShort(offset + 2) & 0x3FFF; // strip NLA_F_NESTED / NLA_F_NET_BYTEORDER
            byte[] data = new byte[length - 4];
            System.arraycopy(buffer, offset + 4, data, 0, data.length);
            visitor.visit(type, data);
            offset += NetlinkMessage.align(length);
        }
    }

    static String string(byte[] data) {
        int end = 0;
        while (end < data.length && data[end] != 0) {
            end++;
        }
        return new String(data, 0, end, StandardCharsets.UTF_8);
    }

    /** Builds a netlink message: header (length filled by {@link #build}), fixed part, then attributes. */
    static final class Builder {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Builder(int type, int flags, int sequence, byte[] fixedPart) {
            ByteBuffer h = ByteBuffer.allocate(LinuxAbi.NLMSG_HDRLEN).order(ByteOrder.nativeOrder());
            h.putInt(0).putShort((short) type).putShort((short) flags).putInt(sequence).putInt(0);
            out.writeBytes(h.array());
            out.writeBytes(fixedPart);
            pad();
        }

        Builder add(int type, byte[] data) {
            ByteBuffer h = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder());
            h.putShort((short) (4 + data.length)).putShort((short) type);
            out.writeBytes(h.array());
            out.writeBytes(data);
            pad();
            return this;
        }

        Builder addInt(int type, int value) {
            return add(type, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array());
        }

        Builder addString(int type, String value) {
            return add(type, (value + "\0").getBytes(StandardCharsets.UTF_8));
        }

        private void pad() {
            while (out.size() % 4 != 0) {
                out.write(0);
            }
        }

        byte[] build() {
            byte[] message = out.toByteArray();
            ByteBuffer.wrap(message).order(ByteOrder.nativeOrder()).putInt(0, message.length);
            return message;
        }
    }
}
