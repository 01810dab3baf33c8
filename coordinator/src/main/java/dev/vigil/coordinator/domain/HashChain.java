package dev.vigil.coordinator.domain;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The per-agent hash chain: {@code h(n) = SHA-256(h(n-1) || utf8(canonical envelope n))}, with
 * {@code h(-1)} = 32 zero bytes. h is the raw 32-byte digest; it is stored as lowercase hex.
 * The canonical envelope is {@code EnvelopeCodec.encode}: exactly the string stored in
 * {@link FactRecorded#envelope()}, so a verifier needs nothing but the stored events.
 */
public final class HashChain {
    public static final String GENESIS = "0".repeat(64);
    private static final HexFormat HEX = HexFormat.of();

    private HashChain() {
    }

    /** One digest per thread: looking SHA-256 up among the providers per event cost as much as a short digest. */
    private static final ThreadLocal<MessageDigest> SHA = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    });

    public static String next(String previousHex, String canonicalEnvelope) {
        MessageDigest sha = SHA.get();
        sha.reset();
        sha.update(HEX.parseHex(previousHex));
        sha.update(canonicalEnvelope.getBytes(StandardCharsets.UTF_8));
        return HEX.formatHex(sha.digest());
    }
}
