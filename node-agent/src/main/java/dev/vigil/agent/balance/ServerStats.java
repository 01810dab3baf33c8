package dev.vigil.agent.balance;

/**
 * A real server (or the sorry server) of one virtual server as the proxy sees it, at one instant.
 *
 * @param connections every connection forwarded to it since start
 * @param open        connections open now
 * @param toServer    bytes from clients to it
 * @param toClient    bytes from it to clients
 * @param errors      connects that failed (each was tried on another server) and connections that ended in an error
 * @param cut         connections closed by the proxy because the server failed its checks
 */
public record ServerStats(String virtualServer, String server, boolean up, int weight, long connections, long open,
                          long toServer, long toClient, long errors, long cut) {
}
