package dev.vigil.coordinator.verify;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;

/**
 * A checkpoint body with an Ed25519 signature, as a signed note: the body, a blank line, then
 * {@code — <keyId> <base64 signature>}. The signature covers the body's UTF-8 bytes exactly.
 */
public record SignedCheckpoint(String body, String keyId, byte[] signature) {
    private static final String SIG_PREFIX = "\u2014 ";

    public static SignedCheckpoint sign(Checkpoint checkpoint, String keyId, PrivateKey key) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initSign(key);
            String body = checkpoint.body();
            s.update(body.getBytes(StandardCharsets.UTF_8));
            return new SignedCheckpoint(body, keyId, s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a checkpoint", e);
        }
    }

    public String text() {
        return body + "\n" + SIG_PREFIX + keyId + " " + Base64.getEncoder().encodeToString(signature) + "\n";
    }

    public static SignedCheckpoint parse(String text) {
        int split = text.lastIndexOf("\n\n" + SIG_PREFIX);
        if (split < 0) {
            throw new IllegalArgumentException("no signature line");
        }
        String body = text.substring(0, split + 1);
        String[] sig = text.substring(split + 2 + SIG_PREFIX.length()).strip().split(" ");
        if (sig.length != 2) {
            throw new IllegalArgumentException("signature line: expected '\u2014 keyId base64'");
        }
        return new SignedCheckpoint(body, sig[0], Base64.getDecoder().decode(sig[1]));
    }

    /** The checkpoint if the signature holds under {@code key}; otherwise IllegalArgumentException. */
    public Checkpoint verify(PublicKey key) {
        try {
            Signature s = Signature.getInstance("Ed25519");
            s.initVerify(key);
            s.update(body.getBytes(StandardCharsets.UTF_8));
            if (!s.verify(signature)) {
                throw new IllegalArgumentException("checkpoint signature does not verify with key " + keyId);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("checkpoint signature is unusable: " + e.getMessage(), e);
        }
        return Checkpoint.parseBody(body);
    }

    public static PrivateKey privateKeyFromPem(String pem) throws GeneralSecurityException {
        return KeyFactory.getInstance("Ed25519").generatePrivate(new PKCS8EncodedKeySpec(der(pem)));
    }

    public static PublicKey publicKeyFromPem(String pem) throws GeneralSecurityException {
        return KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(der(pem)));
    }

    public static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    private static byte[] der(String pem) {
        return Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", "").strip());
    }
}
