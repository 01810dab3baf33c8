package dev.vigil.agent.check;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;

/** Turns pgjdbc's exceptions into the short detail a reviewer reads ("connection refused (127.0.0.1:5432)"). */
final class PgFailures {

    private PgFailures() {
    }

    /** The connection is unusable: class 08 (connection exception), or the server shut down or is starting. */
    static boolean isConnectionFailure(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        return state.startsWith("08") || state.startsWith("57P") || hasCause(e, IOException.class);
    }

    static String describe(SQLException e, PgEndpoint where) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage() == null ? "" : t.getMessage();
            if (m.startsWith("socket ") || m.startsWith("connection refused (socket") || m.startsWith("cannot connect to socket")) {
                return m;   // written by PgSocketFactory, already says what and where
            }
            if (t instanceof ConnectException) {
                return m.toLowerCase().contains("refused") ? "connection refused (" + where.describe() + ")"
                        : "cannot connect to " + where.describe() + ": " + m;
            }
            if (t instanceof SocketTimeoutException) {
                return "connect timeout (" + where.describe() + ")";
            }
            if (t instanceof NoRouteToHostException) {
                return "no route to host (" + where.describe() + ")";
            }
            if (t instanceof UnknownHostException) {
                return "unknown host " + m;
            }
        }
        String message = firstLine(e.getMessage());
        if (state.equals("57P03")) {
            return "server not accepting connections: " + message;
        }
        if (state.startsWith("57P")) {
            return "server shutting down: " + message;
        }
        if (state.startsWith("28")) {
            return "authentication failed (" + where.describe() + "): " + message;
        }
        if (state.equals("3D000")) {
            return message;
        }
        if (state.startsWith("08") || hasCause(e, IOException.class)) {
            return "connection lost (" + where.describe() + "): " + message;
        }
        return "query failed: " + message;
    }

    private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    static String firstLine(String m) {
        if (m == null) {
            return "(no message)";
        }
        int nl = m.indexOf('\n');
        return (nl < 0 ? m : m.substring(0, nl)).strip();
    }
}
