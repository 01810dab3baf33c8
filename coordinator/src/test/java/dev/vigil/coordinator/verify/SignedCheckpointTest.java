package dev.vigil.coordinator.verify;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Instant;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(30)
class SignedCheckpointTest {
    private static final Checkpoint CP = new Checkpoint(Instant.parse("2026-11-25T21:20:48.123456Z"), new TreeMap<>(java.util.Map.of(
            "db2", new Checkpoint.Head(4, "b".repeat(64)), "db1", new Checkpoint.Head(12, "a".repeat(64)))));

    @Test
    void signsParsesAndVerifies() throws Exception {
        KeyPair key = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        SignedCheckpoint signed = SignedCheckpoint.sign(CP, "k1", key.getPrivate());
        assertThat(signed.text()).startsWith("vigil-checkpoint/v1\n2026-11-25T21:20:48.123456Z\ndb1 12 aaaa");
        assertThat(SignedCheckpoint.parse(signed.text()).verify(key.getPublic())).isEqualTo(CP);
        String pub = SignedCheckpoint.pem("PUBLIC KEY", key.getPublic().getEncoded());
        String priv = SignedCheckpoint.pem("PRIVATE KEY", key.getPrivate().getEncoded());
        SignedCheckpoint again = SignedCheckpoint.sign(CP, "k1", SignedCheckpoint.privateKeyFromPem(priv));
        assertThat(again.verify(SignedCheckpoint.publicKeyFromPem(pub))).isEqualTo(CP);
    }

    @Test
    void anEditedBodyOrAnotherKeyIsRefused() throws Exception {
        KeyPair key = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        KeyPair other = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
        String text = SignedCheckpoint.sign(CP, "k1", key.getPrivate()).text();
        assertThatThrownBy(() -> SignedCheckpoint.parse(text.replace("db1 12", "db1 11")).verify(key.getPublic()))
                .hasMessageContaining("does not verify");
        assertThatThrownBy(() -> SignedCheckpoint.parse(text).verify(other.getPublic()))
                .hasMessageContaining("does not verify");
    }
}
