package dev.vigil.agent.net;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * One netlink message: the nlmsghdr fields and the payload after it. Datagrams carry several, each padded to 4
 * bytes (NLMSG_ALIGN); all integers are host order.
 */
record NetlinkMessage(int type, int flags, int sequence, int portId, byte[] payload) {

    /** Splits a received datagram; a message whose length field does not fit ends the walk (as NLMSG_OK). */
    static List<NetlinkMessage> split(byte[] datagram, int length) {
        ByteBuffer b = ByteBuffer.wrap(datagram, 0, length).order(ByteOrder.nativeOrder());
        List<NetlinkMessage> out = new ArrayList<>();
        int offset = 0;
        while (offset + LinuxAbi.NLMSG_HDRLEN <= length) {
            int messageLength = b.getInt(offset);
            if (messageLength < LinuxAbi.NLMSG_HDRLEN || offset + messageLength > length) {
                break;
            }
            byte[] payload = new byte[messageLength - LinuxAbi.NLMSG_HDRLEN];
            System.arraycopy(datagram, offset + LinuxAbi.NLMSG_HDRLEN, payload, 0, payload.length);
            out.add(new NetlinkMessage(b.getShort(offset + 4) & 0xFFFF, b.getShort(offset + 6) & 0xFFFF,
                    b.getInt(offset + 8), b.getInt(offset + 12), payload));
            offset += align(messageLength);
        }
        return out;
    }

    static int align(int length) {
        return (length + 3) & ~3;
    }

    ByteBuffer buffer() {
        return ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder());
    }

    /** For NLMSG_ERROR: 0 for an ACK, else a negative errno. */
    int error() {
        return payload.length >= 4 ? buffer().getInt(0) : -LinuxAbi.EINVAL;
    }

    /** The kernel's text for an error (extended ACK, NLMSGERR_ATTR_MSG), when it gave one. */
    String extendedAckText() {
        if ((flags & LinuxAbi.NLM_F_ACK_TLVS) == 0 || payload.length < 4 + LinuxAbi.NLMSG_HDRLEN) {
            return "";
        }
        int start = 4 + ((flags & LinuxAbi.NLM_F_CAPPED) != 0 ? LinuxAbi.NLMSG_HDRLEN : align(buffer().getInt(4)));
        String[] text = {""};
        Attributes.forEach(payload, start, (type, data) -> {
            if (type == LinuxAbi.NLMSGERR_ATTR_MSG) {
                text[0] = Attributes.string(data);
            }
        });
        return text[0];
    }
}
