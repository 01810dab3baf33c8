package dev.vigil.agent.check;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.SocketFactory;

/**
 * The sockets pgjdbc uses for checks. pgjdbc instantiates it by class name with the connection's properties:
 * {@value #SESSION} names the session that owns the sockets, and {@value #UNIX_SOCKET} (when present) is the path of a
 * PostgreSQL unix socket, reached through the JDK's own unix-domain channels (Java 16+) behind a
 * {@code java.net.Socket} face, since pgjdbc has no AF_UNIX of its own.
 *
 * <p>Why a registry of open sockets: a check must end within its timeout even when the server hangs. While pgjdbc
 * is still connecting there is no {@code Connection} to abort, so the deadline closes the session's sockets
 * ({@link #closeAll}), which wakes the blocked thread. Read timeouts do not fire on the unix-socket face.
 */
public final class PgSocketFactory extends SocketFactory {

    public static final String SESSION = "vigilSession";
    public static final String UNIX_SOCKET = "vigilUnixSocket";

    private static final Map<String, Set<Socket>> OPEN = new ConcurrentHashMap<>();

    private final String session;
    private final String unixSocket;

    public PgSocketFactory(Properties info) {
        this.session = info.getProperty(SESSION, "");
        this.unixSocket = info.getProperty(UNIX_SOCKET, "");
    }

    /** Closes every socket the session has open, connected or still connecting; the blocked caller gets an exception. */
    public static void closeAll(String session) {
        Set<Socket> sockets = OPEN.remove(session);
        if (sockets == null) {
            return;
        }
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing for the deadline: nothing else to do with a socket that will not close
            }
        }
    }

    /** Forgets closed sockets (the session is done with them). */
    public static void forget(String session) {
        Set<Socket> sockets = OPEN.get(session);
        if (sockets != null) {
            sockets.removeIf(Socket::isClosed);
        }
    }

    static int openCount(String session) {
        Set<Socket> sockets = OPEN.get(session);
        return sockets == null ? 0 : (int) sockets.stream().filter(s -> !s.isClosed()).count();
    }

    private <S extends Socket> S register(S socket) {
        Set<Socket> set = OPEN.computeIfAbsent(session, k -> ConcurrentHashMap.newKeySet());
        set.removeIf(Socket::isClosed);
        set.add(socket);
        return socket;
    }

    @Override
    public Socket createSocket() throws IOException {
        if (unixSocket.isEmpty()) {
            return register(new Socket());   // pgjdbc connects it, with its connectTimeout
        }
        UnixChannelSocket s = register(new UnixChannelSocket(Path.of(unixSocket)));
        s.connectNow();
        return s;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        throw new SocketException("pgjdbc connects the socket from createSocket()");
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        throw new SocketException("pgjdbc connects the socket from createSocket()");
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        throw new SocketException("pgjdbc connects the socket from createSocket()");
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) throws IOException {
        throw new SocketException("pgjdbc connects the socket from createSocket()");
    }

    /**
     * A java.net.Socket face over a unix-domain SocketChannel (SocketChannel.socket() is unsupported for them). TCP
     * options are accepted and ignored; without overriding them java.net.Socket would create a real TCP descriptor.
     */
    static final class UnixChannelSocket extends Socket {
        private final Path path;
        private final SocketChannel channel;

        UnixChannelSocket(Path path) throws IOException {
            this.path = path;
            this.channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        }

        void connectNow() throws IOException {
            try {
                channel.connect(UnixDomainSocketAddress.of(path));
            } catch (IOException e) {
                channel.close();
                String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
                if (why.contains("No such file")) {
                    throw new SocketException("socket " + path + " missing (server not running?)");
                }
                if (why.contains("refused")) {
                    throw new SocketException("connection refused (socket " + path + ")");
                }
                throw new SocketException("cannot connect to socket " + path + ": " + why);
            }
        }

        @Override
        public void connect(SocketAddress ignored, int timeout) throws IOException {
            if (!channel.isConnected()) {
                connectNow();
            }
        }

        @Override
        public void connect(SocketAddress ignored) throws IOException {
            connect(ignored, 0);
        }

        @Override
        public boolean isConnected() {
            return channel.isConnected();
        }

        @Override
        public boolean isClosed() {
            return !channel.isOpen();
        }

        @Override
        public InputStream getInputStream() {
            return new InputStream() {
                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    int n = read(one, 0, 1);
                    return n < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return len == 0 ? 0 : channel.read(ByteBuffer.wrap(b, off, len));
                }
            };
        }

        @Override
        public OutputStream getOutputStream() {
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
                    while (buffer.hasRemaining()) {
                        channel.write(buffer);
                    }
                }
            };
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }

        @Override
        public void shutdownInput() throws IOException {
            channel.shutdownInput();
        }

        @Override
        public void shutdownOutput() throws IOException {
            channel.shutdownOutput();
        }

        @Override
        public void setTcpNoDelay(boolean on) {
        }

        @Override
        public boolean getTcpNoDelay() {
            return true;
        }

        @Override
        public void setKeepAlive(boolean on) {
        }

        @Override
        public boolean getKeepAlive() {
            return false;
        }

        @Override
        public void setSoTimeout(int timeout) {
        }

        @Override
        public int getSoTimeout() {
            return 0;
        }

        @Override
        public void setReceiveBufferSize(int size) {
        }

        @Override
        public int getReceiveBufferSize() {
            return 65536;
        }

        @Override
        public void setSendBufferSize(int size) {
        }

        @Override
        public int getSendBufferSize() {
            return 65536;
        }

        @Override
        public void setSoLinger(boolean on, int linger) {
        }

        @Override
        public int getSoLinger() {
            return -1;
        }

        @Override
        public String toString() {
            return "UnixChannelSocket[" + path + "]";
        }
    }
}
