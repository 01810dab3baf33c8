package dev.vigil.agent.check;

import java.nio.file.Path;

/** Where a PostgreSQL server listens: a TCP host and port, or a unix socket directory and port. */
public sealed interface PgEndpoint {

    int port();

    /** How details name it: "127.0.0.1:5432", "[2001:db8::12]:5432", "/var/run/postgresql/.s.PGSQL.5432". */
    String describe();

    /** Host for messages about peers ("192.0.2.12"): the address without the port, or the socket path. */
    String label();

    record Tcp(String host, int port) implements PgEndpoint {
        public Tcp {
            if (host.isBlank() || port < 1 || port > 65535) {
                throw new IllegalArgumentException("bad TCP endpoint " + host + ":" + port);
            }
        }

        @Override
        public String describe() {
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
        }

        @Override
        public String label() {
            return port == 5432 ? host : describe();
        }
    }

    /** A socket directory as in {@code unix_socket_directories}; the socket itself is {@code DIR/.s.PGSQL.PORT}. */
    record UnixSocket(Path directory, int port) implements PgEndpoint {
        public UnixSocket {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("bad port " + port);
            }
        }

        public Path socketPath() {
            return directory.resolve(".s.PGSQL." + port);
        }

        @Override
        public String describe() {
            return socketPath().toString();
        }

        @Override
        public String label() {
            return describe();
        }
    }
}
