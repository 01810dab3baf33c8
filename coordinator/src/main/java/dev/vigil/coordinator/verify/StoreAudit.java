package dev.vigil.coordinator.verify;

import javax.sql.DataSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.PrivateKey;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Verification and checkpoints over the stored streams. Reads the event table directly (not
 * through Axon), so what is checked is what is on disk. Blocking.
 */
public final class StoreAudit {
    private static final String ROWS = "SELECT aggregate_identifier, sequence_number, payload FROM domain_event_entry"
            + " ORDER BY aggregate_identifier, sequence_number";

    private final DataSource dataSource;

    public StoreAudit(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /**
     * Every agent's verdict, sorted by agent id. With a checkpoint, agents it names are also held to
     * its heads, and an agent it names that has no stored events at all is reported truncated.
     */
    public List<ChainVerdict> verify(Optional<Checkpoint> checkpoint) throws SQLException {
        Map<String, Checkpoint.Head> anchors = checkpoint.map(Checkpoint::heads).orElse(new TreeMap<>());
        List<ChainVerdict> verdicts = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false); // lets PostgreSQL stream with a cursor instead of loading everything
            try (PreparedStatement ps = c.prepareStatement(ROWS)) {
                ps.setFetchSize(1000);
                try (ResultSet rs = ps.executeQuery()) {
                    String agent = null;
                    ChainVerifier verifier = null;
                    while (rs.next()) {
                        String a = rs.getString(1);
                        if (!a.equals(agent)) {
                            if (verifier != null) {
                                verdicts.add(verifier.finish(Optional.ofNullable(anchors.get(agent))));
                            }
                            agent = a;
                            verifier = ChainVerifier.start(a, Optional.ofNullable(anchors.get(a)));
                        }
                        verifier.accept(new StoredLink(rs.getLong(2), rs.getBytes(3)));
                    }
                    if (verifier != null) {
                        verdicts.add(verifier.finish(Optional.ofNullable(anchors.get(agent))));
                    }
                }
            } finally {
                c.rollback();
                c.setAutoCommit(autoCommit);
            }
        }
        List<String> seen = verdicts.stream().map(ChainVerdict::agentId).toList();
        anchors.forEach((agent, head) -> {
            if (!seen.contains(agent)) {
                verdicts.add(ChainVerifier.start(agent, Optional.of(head)).finish(Optional.of(head)));
            }
        });
        verdicts.sort(java.util.Comparator.comparing(ChainVerdict::agentId));
        return verdicts;
    }

    /** Verifies everything, then signs the heads; refuses to sign a store that is already broken. */
    public SignedCheckpoint checkpoint(Instant now, String keyId, PrivateKey key) throws SQLException {
        TreeMap<String, Checkpoint.Head> heads = new TreeMap<>();
        for (ChainVerdict v : verify(Optional.empty())) {
            if (!v.intact()) {
                throw new IllegalStateException("refusing to sign a broken stream: " + v.agentId() + " " + v.firstBreak().get());
            }
            heads.put(v.agentId(), new Checkpoint.Head(v.length(), v.headHash()));
        }
        return SignedCheckpoint.sign(new Checkpoint(now.truncatedTo(ChronoUnit.MICROS), heads), keyId, key);
    }

    /** Writes the checkpoint as {@code checkpoint-<epoch micros>.txt} in {@code dir}, atomically. */
    public static Path write(SignedCheckpoint checkpoint, Path dir) throws IOException {
        Instant t = Checkpoint.parseBody(checkpoint.body()).time();
        long micros = ChronoUnit.MICROS.between(Instant.EPOCH, t);
        Files.createDirectories(dir);
        Path target = dir.resolve("checkpoint-" + micros + ".txt");
        Path tmp = Files.createTempFile(dir, ".checkpoint", ".tmp");
        Files.writeString(tmp, checkpoint.text(), StandardCharsets.UTF_8);
        return Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    }
}
