package dev.vigil.agent.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLState;

@Timeout(value = 10, unit = TimeUnit.SECONDS)
class PgFailuresTest {

    private static final PgEndpoint TCP = new PgEndpoint.Tcp("192.0.2.12", 5432);

    @Test
    void connectionProblemsSayWhatAndWhere() {
        SQLException refused = new PSQLException("Connection to 192.0.2.12:5432 refused.", PSQLState.CONNECTION_UNABLE_TO_CONNECT,
                new ConnectException("Connection refused"));
        assertThat(PgFailures.describe(refused, TCP)).isEqualTo("connection refused (192.0.2.12:5432)");
        assertThat(PgFailures.isConnectionFailure(refused)).isTrue();

        SQLException missing = new PSQLException("The connection attempt failed.", PSQLState.CONNECTION_UNABLE_TO_CONNECT,
                new SocketException("socket /var/run/postgresql/.s.PGSQL.5432 missing (server not running?)"));
        assertThat(PgFailures.describe(missing, TCP)).isEqualTo("socket /var/run/postgresql/.s.PGSQL.5432 missing (server not running?)");

        SQLException slow = new PSQLException("The connection attempt failed.", PSQLState.CONNECTION_UNABLE_TO_CONNECT,
                new SocketTimeoutException("Connect timed out"));
        assertThat(PgFailures.describe(slow, TCP)).isEqualTo("connect timeout (192.0.2.12:5432)");
    }

    @Test
    void serverSideRefusalsKeepTheServersFirstLine() {
        SQLException starting = new SQLException("FATAL: the database system is starting up\n  detail", "57P03");
        assertThat(PgFailures.describe(starting, TCP)).isEqualTo("server not accepting connections: FATAL: the database system is starting up");
        assertThat(PgFailures.isConnectionFailure(starting)).isTrue();

        SQLException auth = new SQLException("FATAL: password authentication failed for user \"vigil\"", "28P01");
        assertThat(PgFailures.describe(auth, TCP))
                .isEqualTo("authentication failed (192.0.2.12:5432): FATAL: password authentication failed for user \"vigil\"");

        SQLException sql = new SQLException("ERROR: division by zero", "22012");
        assertThat(PgFailures.describe(sql, TCP)).isEqualTo("query failed: ERROR: division by zero");
        assertThat(PgFailures.isConnectionFailure(sql)).isFalse();
    }
}
