package dev.vigil.coordinator.ingest;

import dev.vigil.model.EventEnvelope;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Per-agent bearer tokens. The coordinator holds only SHA-256 hashes (tokens are random and long,
 * so a plain hash suffices); a request's token is hashed and looked up, never compared in clear.
 */
public final class AgentTokens {
    private static final HexFormat HEX = HexFormat.of();
    private final Map<String, String> agentByHash;

    private AgentTokens(Map<String, String> agentByHash) {
        this.agentByHash = Map.copyOf(agentByHash);
    }

    /** @param hashByAgent agent id → lowercase hex SHA-256 of its token */
    public static AgentTokens of(Map<String, String> hashByAgent) {
        Map<String, String> byHash = new HashMap<>();
        hashByAgent.forEach((agent, hash) -> {
            if (!EventEnvelope.AGENT_ID.matcher(agent).matches()) {
                throw new IllegalArgumentException("agents." + agent + ": not a valid agent id");
            }
            String h = hash.toLowerCase(Locale.ROOT);
            if (!h.matches("[0-9a-f]{64}")) {
                throw new IllegalArgumentException("agents." + agent + ".tokenSha256: expected 64 hex digits");
            }
            String other = byHash.put(h, agent);
            if (other != null) {
                throw new IllegalArgumentException("agents." + agent + ".tokenSha256: same token as agent " + other);
            }
        });
        return new AgentTokens(byHash);
    }

    public static AgentTokens none() {
        return new AgentTokens(Map.of());
    }

    public int size() {
        return agentByHash.size();
    }

    /** The agent a {@code Authorization: Bearer <token>} header belongs to, if any. */
    public Optional<String> authenticate(String authorizationHeader) {
        if (authorizationHeader == null || authorizationHeader.length() < 8
                || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        String token = authorizationHeader.substring(7).trim();
        if (token.isEmpty()) {
            return Optional.empty();
        }
        return Optional.ofNullable(agentByHash.get(sha256Hex(token)));
    }

    public static String sha256Hex(String token) {
        try {
            return HEX.formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
