package dev.vigil.coordinator.archfixture;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/** What the SQL rule must catch (never used; {@code SqlIsConstantTest} proves the rule can fail). */
public final class ConcatenatedSql {
    private ConcatenatedSql() {
    }

    public static PreparedStatement byAgent(Connection c, String agent) throws SQLException {
        return c.prepareStatement("SELECT * FROM ingested_fact WHERE agent_id = '" + agent + "'");
    }
}
