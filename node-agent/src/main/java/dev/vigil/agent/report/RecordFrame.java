package dev.vigil.agent.report;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * One outbox record on disk: {@code [u32 length][u32 crc32c][payload]}, big-endian. The checksum
 * covers the length and the payload, so a torn or zero-filled tail (length 0, crc 0) and a flipped
 * bit anywhere are detected. The payload carries the fact's identity ahead of its JSON so the
 * shipper can match acknowledgements without decoding: {@code [u64 seq][u8 n][n bytes bootId][JSON]}.
 */
record RecordFrame(String bootId, long seq, byte[] json) {
    static final int HEADER = 8;
    /** A fact is a few hundred bytes; anything near this is a corrupt length, not a record. */
    static final int MAX_PAYLOAD = 1 << 20;

    byte[] encode() {
        byte[] boot = bootId.getBytes(StandardCharsets.US_ASCII);
        int payload = 8 + 1 + boot.length + json.length;
        if (boot.length > 255 || payload > MAX_PAYLOAD) {
            throw new IllegalArgumentException("record of " + payload + " bytes (boot id " + boot.length
                    + ") exceeds the outbox record limit of " + MAX_PAYLOAD);
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER + payload);
        b.putInt(payload).putInt(0).putLong(seq).put((byte) boot.length).put(boot).put(json);
        byte[] out = b.array();
        ByteBuffer.wrap(out).putInt(4, checksum(out, 0, payload));
        return out;
    }

    int encodedSize() {
        return HEADER + 8 + 1 + bootId.length() + json.length;
    }

    /** What a scan of a segment found: the intact records and where the intact prefix ends. */
    record Scan(List<Located> records, int validEnd, String stopReason) {
        boolean clean() {
            return stopReason.isEmpty();
        }
    }

    /** A record and the byte offset just past it (the position to resume after it). */
    record Located(RecordFrame frame, int end) {
    }

    /**
     * Reads records from {@code bytes[0..limit)} until the end or the first damaged record; a
     * damaged record and everything after it are reported, never returned.
     */
    static Scan scan(byte[] bytes, int limit) {
        List<Located> out = new ArrayList<>();
        int pos = 0;
        while (pos < limit) {
            if (limit - pos < HEADER) {
                return new Scan(out, pos, "torn header at offset " + pos);
            }
            ByteBuffer b = ByteBuffer.wrap(bytes, pos, limit - pos);
            int length = b.getInt();
            int crc = b.getInt();
            if (length < 10 || length > MAX_PAYLOAD) {
                return new Scan(out, pos, "impossible record length " + length + " at offset " + pos);
            }
            if (limit - pos - HEADER < length) {
                return new Scan(out, pos, "torn record at offset " + pos + " (" + length + " bytes declared, "
                        + (limit - pos - HEADER) + " present)");
            }
            if (checksum(bytes, pos, length) != crc) {
                return new Scan(out, pos, "checksum mismatch at offset " + pos);
            }
            ByteBuffer p = ByteBuffer.wrap(bytes, pos + HEADER, length);
            long seq = p.getLong();
            int n = p.get() & 0xff;
            if (seq < 1 || 9 + n > length) {
                return new Scan(out, pos, "malformed identity at offset " + pos);
            }
            String boot = new String(bytes, pos + HEADER + 9, n, StandardCharsets.US_ASCII);
            int jsonStart = pos + HEADER + 9 + n;
            byte[] json = java.util.Arrays.copyOfRange(bytes, jsonStart, pos + HEADER + length);
            pos += HEADER + length;
            out.add(new Located(new RecordFrame(boot, seq, json), pos));
        }
        return new Scan(out, pos, "");
    }

    private static int checksum(byte[] frame, int at, int payloadLength) {
        CRC32C c = new CRC32C();
        c.update(frame, at, 4);
        c.update(frame, at + HEADER, payloadLength);
        return (int) c.getValue();
    }
}
