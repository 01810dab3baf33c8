package dev.vigil.coordinator;

import com.zaxxer.hikari.HikariDataSource;
import dev.vigil.coordinator.api.QueryApi;
import dev.vigil.coordinator.processing.NodeProjectionReplay;
import dev.vigil.coordinator.projection.ReviewReadModel;
import dev.vigil.coordinator.projection.StateCheckpoints;
import dev.vigil.coordinator.projection.StoredEvents;
import dev.vigil.coordinator.store.AuditStore;
import dev.vigil.coordinator.store.StoreMigrations;
import dev.vigil.model.EnvelopeCodec;
import dev.vigil.coordinator.store.DatabaseVendor;
import dev.vigil.coordinator.store.StoreSettings;
import dev.vigil.coordinator.verify.ChainVerdict;
import dev.vigil.coordinator.verify.Checkpoint;
import dev.vigil.coordinator.verify.SignedCheckpoint;
import dev.vigil.coordinator.verify.StoreAudit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/** Offline audit commands: they read the store directly and never start the ingest server. */
final class AuditCommands {
    private AuditCommands() {
    }

    /** Audit commands read a store, never create one: an embedded store must already exist. */
    static StoreSettings existing(StoreSettings s) {
        return s.vendor() == DatabaseVendor.H2
                ? new StoreSettings(s.jdbcUrl() + ";IFEXISTS=TRUE", s.user(), s.password(), 2, s.snapshotEvery())
                : s;
    }

    static String firstLine(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = String.valueOf(root.getMessage());
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Recomputes every agent's hash chain and reports the first altered, removed or reordered event.",
                    "With --checkpoint and --public-key, also a truncated or rewritten tail. Exit 0 intact, 1 broken."})
    static final class Verify implements Callable<Integer> {
        @ParentCommand
        CoordinatorMain parent;

        @Option(names = "--checkpoint", description = "signed checkpoint file to hold the streams to")
        Path checkpoint;

        @Option(names = "--public-key", description = "PEM Ed25519 public key that signed the checkpoint")
        Path publicKey;

        @Override
        public Integer call() throws Exception {
            Optional<Checkpoint> anchor = Optional.empty();
            if (checkpoint != null) {
                if (publicKey == null) {
                    System.err.println("verify: --checkpoint needs --public-key");
                    return 2;
                }
                anchor = Optional.of(SignedCheckpoint.parse(Files.readString(checkpoint))
                        .verify(SignedCheckpoint.publicKeyFromPem(Files.readString(publicKey))));
            }
            List<ChainVerdict> verdicts;
            StoreSettings store = existing(parent.resolve().store());
            try (HikariDataSource ds = AuditStore.pool(store)) {
                verdicts = new StoreAudit(ds).verify(anchor);
            } catch (SQLException | RuntimeException e) {
                System.err.println("verify: cannot read the store " + store.jdbcUrl() + ": " + firstLine(e));
                return 2;
            }
            boolean intact = true;
            for (ChainVerdict v : verdicts) {
                if (v.intact()) {
                    System.out.printf("%s: %d events, head %s: intact%n", v.agentId(), v.length(), v.headHash());
                } else {
                    intact = false;
                    System.out.printf("%s: BROKEN: %s%n", v.agentId(), v.firstBreak().get());
                }
            }
            System.out.println(intact ? "verify: all " + verdicts.size() + " streams intact" : "verify: FAILED");
            return intact ? 0 : 1;
        }
    }

    @Command(name = "rebuild-read-models", mixinStandardHelpOptions = true,
            description = {"Empties the audit query API's read models and refills them from the event stream.",
                    "The answers are the same before and after; run it after changing the review fold.",
                    "The node read model (/v1/nodes) is emptied and its processor reset: the next coordinator to",
                    "start replays the stream into it. Refused (exit 2) while any instance runs on the store."})
    static final class RebuildReadModels implements Callable<Integer> {
        @ParentCommand
        CoordinatorMain parent;

        @Override
        public Integer call() throws Exception {
            CoordinatorSettings settings = parent.resolve();
            StoreSettings store = existing(settings.store());
            try (HikariDataSource ds = AuditStore.pool(store)) {
                StoreMigrations.migrate(ds, store.vendor()); // a store from before the read models gets their tables
                // First, while nothing else is changed: refuses if an instance is running on the store.
                NodeProjectionReplay.reset(ds, settings.processors().claimTimeout());
                ReviewReadModel model = new ReviewReadModel(ds, new StoredEvents(ds, EnvelopeCodec.standard()));
                model.drop();
                model.rebuild();
                StateCheckpoints states = new StateCheckpoints(ds, EnvelopeCodec.standard(), java.time.Clock.systemUTC(),
                        QueryApi.GAP_FILL_WINDOW, StateCheckpoints.DEFAULT_EVERY);
                states.drop();
                states.refresh();
            } catch (NodeProjectionReplay.InstancesRunning e) {
                System.err.println("rebuild-read-models: " + e.getMessage());
                return 2;
            } catch (SQLException | RuntimeException e) {
                System.err.println("rebuild-read-models: cannot rebuild in " + store.jdbcUrl() + ": " + firstLine(e));
                return 2;
            }
            System.out.println("rebuild-read-models: done");
            return 0;
        }
    }

    @Command(name = "checkpoint", mixinStandardHelpOptions = true,
            description = "Verifies the store, then writes a signed checkpoint of every stream head to --out.")
    static final class TakeCheckpoint implements Callable<Integer> {
        @ParentCommand
        CoordinatorMain parent;

        @Option(names = "--key", required = true, description = "PEM (PKCS#8) Ed25519 private key")
        Path key;

        @Option(names = "--key-id", defaultValue = "vigil", description = "name of the key in the signature line")
        String keyId;

        @Option(names = "--out", required = true, description = "directory for checkpoint files (outside the database)")
        Path out;

        @Override
        public Integer call() throws Exception {
            SignedCheckpoint signed;
            StoreSettings store = existing(parent.resolve().store());
            try (HikariDataSource ds = AuditStore.pool(store)) {
                signed = new StoreAudit(ds).checkpoint(Instant.now(), keyId,
                        SignedCheckpoint.privateKeyFromPem(Files.readString(key)));
            } catch (SQLException | RuntimeException e) {
                System.err.println("checkpoint: " + store.jdbcUrl() + ": " + firstLine(e));
                return 2;
            }
            System.out.println(StoreAudit.write(signed, out));
            return 0;
        }
    }

    @Command(name = "gen-checkpoint-key", mixinStandardHelpOptions = true,
            description = "Writes a new Ed25519 key pair: checkpoint-key.pem (private, 0600) and checkpoint-key.pub.pem.")
    static final class GenerateCheckpointKey implements Callable<Integer> {
        @Option(names = "--out", required = true, description = "directory for the key files")
        Path out;

        @Override
        public Integer call() throws Exception {
            KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
            Files.createDirectories(out);
            Path priv = out.resolve("checkpoint-key.pem");
            Files.createFile(priv, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(priv, SignedCheckpoint.pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
            Files.writeString(out.resolve("checkpoint-key.pub.pem"), SignedCheckpoint.pem("PUBLIC KEY", pair.getPublic().getEncoded()));
            System.out.println(priv);
            return 0;
        }
    }
}
