package dev.vigil.coordinator.ingest;

import dev.vigil.coordinator.Coordinator;
import dev.vigil.coordinator.CoordinatorSettings;
import dev.vigil.coordinator.store.StoreSettings;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Ingest over TLS with PEM files (made by the openssl package, hence an IT). */
@Timeout(120)
class TlsIngestIT {
    @TempDir
    Path dir;

    private Path[] selfSigned() throws Exception {
        Path key = dir.resolve("key.pem");
        Path cert = dir.resolve("cert.pem");
        boolean haveOpenssl;
        Process p;
        try {
            p = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key.toString(), "-out", cert.toString()).redirectErrorStream(true).start();
            p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            haveOpenssl = p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (java.io.IOException e) {
            haveOpenssl = false;
        }
        if (!haveOpenssl) {
            if ("true".equals(System.getenv("CI"))) {
                throw new AssertionError("openssl is needed to make the test certificate");
            }
            Assumptions.abort("openssl not available");
        }
        return new Path[]{cert, key};
    }

    @Test
    void ingestsOverTlsAndRefusesPlainHttp() throws Exception {
        Path[] pem = selfSigned();
        String token = "tls-agent-token-1234";
        try (Coordinator c = Coordinator.start(new CoordinatorSettings("127.0.0.1", 0, StoreSettings.embedded(dir),
                AgentTokens.of(Map.of("db1", AgentTokens.sha256Hex(token))),
                Optional.of(new CoordinatorSettings.TlsFiles(pem[0], pem[1]))), Clock.systemUTC())) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            try (InputStream in = Files.newInputStream(pem[0])) {
                trust.setCertificateEntry("coordinator", CertificateFactory.getInstance("X.509").generateCertificate(in));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ssl = SSLContext.getInstance("TLS");
            ssl.init(null, tmf.getTrustManagers(), null);
            HttpClient https = HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + c.port() + "/v1/events"))
                    .header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(IngestContract.CODEC.encodeBatch(
                            IngestContract.facts("db1", "b", 1, 3))))
                    .build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
            assertThat(IngestContract.head(r, "b")).isEqualTo(3);

            HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + c.port() + "/v1/events")).timeout(Duration.ofSeconds(10))
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString()))
                    .isInstanceOf(java.io.IOException.class);
        }
    }
}
