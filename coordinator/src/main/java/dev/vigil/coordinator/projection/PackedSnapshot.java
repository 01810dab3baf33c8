package dev.vigil.coordinator.projection;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** A fold's snapshot as a checkpoint row stores it: gzipped JSON (StateCheckpoints, ReviewReadModel). */
final class PackedSnapshot {
    private PackedSnapshot() {
    }

    static byte[] pack(ObjectMapper json, Object snapshot) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
            json.writeValue(gz, snapshot);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @param what for the error: "review checkpoint", "state checkpoint" */
    static <T> T unpack(ObjectMapper json, byte[] packed, Class<T> type, String what) {
        try (GZIPInputStream gz = new GZIPInputStream(new ByteArrayInputStream(packed))) {
            return json.readValue(gz, type);
        } catch (IOException e) {
            throw new UncheckedIOException("unreadable " + what, e);
        }
    }
}
