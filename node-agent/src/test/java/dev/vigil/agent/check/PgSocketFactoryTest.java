package dev.vigil.agent.check;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The unix-socket face pgjdbc uses: no descriptor leaks, clear errors, and the deadline's closeAll wakes a blocked read. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PgSocketFactoryTest {

    @TempDir
    Path dir;

    private PgSocketFactory factory(String session, Path socket) {
        Properties p = new Properties();
        p.setProperty(PgSocketFactory.SESSION, session);
        p.setProperty(PgSocketFactory.UNIX_SOCKET, socket.toString());
        return new PgSocketFactory(p);
    }

    private static long openDescriptors() throws IOException {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        }
    }

    @Test
    void fiftyConnectionsLeaveNoDescriptorBehind() throws Exception {
        Path path = dir.resolve(".s.PGSQL.5432");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
            PgSocketFactory f = factory("leak", path);
            // warm up class loading and lazily opened JDK descriptors before counting
            try (Socket s = f.createSocket(); SocketChannel accepted = server.accept()) {
                s.setTcpNoDelay(true);
            }
            long before = openDescriptors();
            for (int i = 0; i < 50; i++) {
                Socket s = f.createSocket();
                try (SocketChannel accepted = server.accept()) {
                    // what pgjdbc does to every socket: TCP options must not create a TCP descriptor
                    s.setTcpNoDelay(true);
                    s.setKeepAlive(true);
                    s.setSoTimeout(1000);
                    s.setReceiveBufferSize(s.getReceiveBufferSize());
                    s.setSendBufferSize(s.getSendBufferSize());
                    assertThat(s.getTcpNoDelay()).isTrue();
                    s.getOutputStream().write(42);
                } finally {
                    s.close();
                }
            }
            assertThat(openDescriptors()).isEqualTo(before);
            assertThat(PgSocketFactory.openCount("leak")).isZero();
        }
    }

    @Test
    void missingAndRefusedSocketsSaySo() throws Exception {
        Path missing = dir.resolve("nothing/.s.PGSQL.5432");
        assertThatThrownBy(() -> factory("m", missing).createSocket())
                .hasMessage("socket " + missing + " missing (server not running?)");
        Path stale = dir.resolve(".s.PGSQL.5433");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(stale));
        }   // closed: the file stays, as after kill -9 of a postmaster
        assertThatThrownBy(() -> factory("r", stale).createSocket())
                .hasMessage("connection refused (socket " + stale + ")");
    }

    @Test
    void closeAllWakesAReadBlockedOnASilentServer() throws Exception {
        Path path = dir.resolve(".s.PGSQL.5434");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(path));
            List<SocketChannel> accepted = new ArrayList<>();
            Socket client = factory("hang", path).createSocket();
            accepted.add(server.accept());
            InputStream in = client.getInputStream();
            CompletableFuture<Object> read = CompletableFuture.supplyAsync(() -> {
                try {
                    return in.read();
                } catch (IOException e) {
                    return e;
                }
            });
            Thread.sleep(200);
            assertThat(read).isNotDone();
            PgSocketFactory.closeAll("hang");
            assertThat(read.get(5, TimeUnit.SECONDS)).isInstanceOf(IOException.class);
            assertThat(client.isClosed()).isTrue();
            for (SocketChannel c : accepted) {
                c.close();
            }
        }
    }
}
