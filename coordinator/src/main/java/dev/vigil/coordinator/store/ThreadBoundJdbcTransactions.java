package dev.vigil.coordinator.store;

import org.axonframework.common.jdbc.ConnectionProvider;
import org.axonframework.common.jdbc.ConnectionWrapperFactory;
import org.axonframework.common.transaction.Transaction;
import org.axonframework.common.transaction.TransactionManager;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The JDBC transaction manager Axon 4 lacks without Spring (research/stack.md §1.3): a transaction
 * binds one pooled connection to the thread; everything Axon and our own handlers do on that thread
 * (aggregate load, event append, ledger insert, token update) uses it and commits or rolls back
 * together. A nested start joins the outer transaction.
 */
public final class ThreadBoundJdbcTransactions implements TransactionManager, ConnectionProvider {
    private static final Transaction JOINED = new Transaction() {
        @Override
        public void commit() {
        }

        @Override
        public void rollback() {
        }
    };

    private final DataSource dataSource;
    private final ThreadLocal<Connection> bound = new ThreadLocal<>();

    public ThreadBoundJdbcTransactions(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    @Override
    public Transaction startTransaction() {
        if (bound.get() != null) {
            return JOINED;
        }
        Connection c;
        try {
            c = dataSource.getConnection();
            c.setAutoCommit(false);
        } catch (SQLException e) {
            throw new StoreUnavailableException("cannot start a transaction", e);
        }
        bound.set(c);
        return new Transaction() {
            @Override
            public void commit() {
                try {
                    c.commit();
                } catch (SQLException e) {
                    throw new StoreUnavailableException("commit failed", e);
                } finally {
                    release(c);
                }
            }

            @Override
            public void rollback() {
                try {
                    c.rollback();
                } catch (SQLException e) {
                    throw new StoreUnavailableException("rollback failed", e);
                } finally {
                    release(c);
                }
            }
        };
    }

    /** The thread's transaction connection (its close and commit are no-ops), or an autocommit one. */
    @Override
    public Connection getConnection() throws SQLException {
        Connection c = bound.get();
        if (c != null) {
            return ConnectionWrapperFactory.wrap(c, new ConnectionWrapperFactory.NoOpCloseHandler());
        }
        return dataSource.getConnection();
    }

    private void release(Connection c) {
        bound.remove();
        try {
            c.setAutoCommit(true);
            c.close();
        } catch (SQLException ignored) {
            // The pool discards a broken connection; nothing else to undo.
        }
    }
}
