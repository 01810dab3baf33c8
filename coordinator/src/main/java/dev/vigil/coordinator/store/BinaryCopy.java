package dev.vigil.coordinator.store;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Arrays;

/**
 * PostgreSQL only: rows in COPY's binary format, written straight into one growing buffer (no per-field
 * objects), sent with {@code COPY ... FROM STDIN (FORMAT binary)}. Rows may be encoded before the COPY starts
 * (the events: encoded before the append lock, sent under it) or streamed while it runs (the ledger: once
 * started, every 64 KiB goes out, so PostgreSQL inserts while the rest is encoded). COPY inserts a page of
 * rows per heap call and WAL record, where a batched INSERT pays a statement per 128 rows and a heap call per row.
 * A field of unknown length (a JSON payload) is written through this stream between {@link #beginField} and
 * {@link #endField}. Types written here must match the column's binary receive function: text for
 * varchar/char, int8, timestamptz as microseconds since 2000-01-01 UTC, raw bytes for bytea.
 */
public final class BinaryCopy extends OutputStream {
    private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    private static final int SEND_AT = 1 << 16;
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
    /** 2000-01-01T00:00:00Z, PostgreSQL's epoch for timestamps. */
    private static final long PG_EPOCH_SECOND = 946_684_800L;

    private byte[] buf;
    /** Scratch for {@link #jsonString}. */
    private char[] chars = new char[0];
    private int pos;
    private int fieldStart = -1;
    private CopyIn target;

    public BinaryCopy(int expectedBytes) {
        buf = new byte[Math.max(1024, expectedBytes)];
        System.arraycopy(HEADER, 0, buf, 0, HEADER.length);
        pos = HEADER.length;
    }

    /** Starts {@code copySql} (a {@code COPY ... FROM STDIN (FORMAT binary)}) on {@code c}; what is buffered goes out now or at {@link #finish}. */
    public BinaryCopy start(Connection c, String copySql) throws SQLException {
        target = c.unwrap(PGConnection.class).getCopyAPI().copyIn(copySql);
        return this;
    }

    /** A new row of {@code fields} fields. Sends the buffer when the COPY runs and 64 KiB are waiting. */
    public void row(int fields) throws SQLException {
        if (target != null && pos >= SEND_AT) {
            send();
        }
        ensure(2);
        buf[pos++] = (byte) (fields >>> 8);
        buf[pos++] = (byte) fields;
    }

    /** A text/varchar/char field, UTF-8. */
    public void text(String s) {
        int n = s.length();
        ensure(4 + n);
        int start = pos + 4;
        int p = start;
        for (int i = 0; i < n; i++) {
            char ch = s.charAt(i);
            if (ch >= 0x80) { // rare: agent ids and fact types are ASCII
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                bytes(utf8);
                return;
            }
            buf[p++] = (byte) ch;
        }
        putInt(pos, n);
        pos = p;
    }

    public void int8(long v) {
        ensure(12);
        putInt(pos, 8);
        pos += 4;
        putLong(v);
    }

    /** A timestamptz, rounded to PostgreSQL's microseconds (half up, as pgjdbc did for the INSERT). */
    public void timestamptz(Instant t) {
        long micros = Math.addExact(Math.multiplyExact(t.getEpochSecond() - PG_EPOCH_SECOND, 1_000_000L),
                (t.getNano() + 500) / 1000);
        int8(micros);
    }

    public void bytes(byte[] b) {
        ensure(4 + b.length);
        putInt(pos, b.length);
        pos += 4;
        System.arraycopy(b, 0, buf, pos, b.length);
        pos += b.length;
    }

    public void nul() {
        ensure(4);
        putInt(pos, -1);
        pos += 4;
    }

    /** A field whose bytes are written next through this stream; {@link #endField} sets its length. */
    public void beginField() {
        ensure(4);
        fieldStart = pos;
        pos += 4;
    }

    public void endField() {
        putInt(fieldStart, pos - fieldStart - 4);
        fieldStart = -1;
    }

    /** Where the next byte goes (tests). */
    int mark() {
        return pos;
    }

    /** A number as JSON writes it: its decimal digits. */
    void decimal(long v) {
        if (v == Long.MIN_VALUE) {
            ascii(Long.toString(v));
            return;
        }
        ensure(20);
        if (v < 0) {
            buf[pos++] = '-';
            v = -v;
        }
        int digits = 1;
        for (long t = v; t >= 10; t /= 10) {
            digits++;
        }
        for (int i = pos + digits - 1; i >= pos; i--) {
            buf[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        pos += digits;
    }

    /** Bytes known to be ASCII (JSON punctuation, field names), as they are. */
    void ascii(String s) {
        int n = s.length();
        ensure(n);
        for (int i = 0; i < n; i++) {
            buf[pos++] = (byte) s.charAt(i);
        }
    }

    /**
     * {@code s} as a quoted JSON string, byte for byte as Jackson's UTF-8 generator writes it with default features:
     * {@code "} and backslash escaped, control characters as the short escapes or a six-character escape with upper-case hex,
     * each surrogate escaped the same way, everything else as UTF-8. Written straight into the buffer: the envelope
     * inside each payload is the largest field.
     */
    void jsonString(String s) {
        int n = s.length();
        ensure(n * 6 + 2);
        if (chars.length < n) {
            chars = new char[Math.max(n, chars.length * 2)];
        }
        s.getChars(0, n, chars, 0); // one bulk copy: the loop below then reads a plain array
        char[] cs = chars;
        byte[] b = buf;
        int p = pos;
        b[p++] = '"';
        for (int i = 0; i < n; i++) {
            char c = cs[i];
            if (c < 0x80) {
                if (c >= 0x20 && c != '"' && c != '\\') {
                    b[p++] = (byte) c;
                    continue;
                }
                b[p++] = '\\';
                switch (c) {
                    case '"' -> b[p++] = '"';
                    case '\\' -> b[p++] = '\\';
                    case '\n' -> b[p++] = 'n';
                    case '\r' -> b[p++] = 'r';
                    case '\t' -> b[p++] = 't';
                    case '\b' -> b[p++] = 'b';
                    case '\f' -> b[p++] = 'f';
                    default -> {
                        b[p++] = 'u';
                        b[p++] = '0';
                        b[p++] = '0';
                        b[p++] = HEX[c >> 4];
                        b[p++] = HEX[c & 0xF];
                    }
                }
            } else if (c < 0x800) {
                b[p++] = (byte) (0xC0 | (c >> 6));
                b[p++] = (byte) (0x80 | (c & 0x3F));
            } else if (Character.isSurrogate(c)) { // Jackson escapes each half, paired or not
                b[p++] = '\\';
                b[p++] = 'u';
                b[p++] = HEX[c >> 12];
                b[p++] = HEX[(c >> 8) & 0xF];
                b[p++] = HEX[(c >> 4) & 0xF];
                b[p++] = HEX[c & 0xF];
            } else {
                b[p++] = (byte) (0xE0 | (c >> 12));
                b[p++] = (byte) (0x80 | ((c >> 6) & 0x3F));
                b[p++] = (byte) (0x80 | (c & 0x3F));
            }
        }
        b[p++] = '"';
        pos = p;
    }

    @Override
    public void write(int b) {
        ensure(1);
        buf[pos++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, pos, len);
        pos += len;
    }

    /** The trailer, the rest of the rows, the end of the COPY; waits for PostgreSQL's answer. Returns the rows copied. */
    public long finish() throws SQLException {
        ensure(2);
        buf[pos++] = (byte) 0xFF;
        buf[pos++] = (byte) 0xFF;
        send();
        long rows = target.endCopy();
        target = null;
        return rows;
    }

    /** Ends a COPY that did not finish (the transaction is rolled back anyway), so the connection is usable again. */
    public void abandon() {
        if (target != null && target.isActive()) {
            try {
                target.cancelCopy();
            } catch (SQLException ignored) {
                // The copy failed already; the caller's rollback reports what matters.
            }
        }
        target = null;
    }

    /** The bytes written so far (tests decode them). */
    byte[] bytes() {
        return Arrays.copyOf(buf, pos);
    }

    private void send() throws SQLException {
        target.writeToCopy(buf, 0, pos);
        pos = 0;
    }

    private void ensure(int more) {
        if (pos + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
        }
    }

    private void putInt(int at, int v) {
        buf[at] = (byte) (v >>> 24);
        buf[at + 1] = (byte) (v >>> 16);
        buf[at + 2] = (byte) (v >>> 8);
        buf[at + 3] = (byte) v;
    }

    private void putLong(long v) {
        putInt(pos, (int) (v >>> 32));
        putInt(pos + 4, (int) v);
        pos += 8;
    }
}
