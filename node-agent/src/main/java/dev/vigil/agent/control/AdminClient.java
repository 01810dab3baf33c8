package dev.vigil.agent.control;

import jnr.unixsocket.UnixSocketAddress;
import jnr.unixsocket.UnixSocketChannel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** One request to the agent's {@link AdminSocket}: a command line out, the reply back. */
public final class AdminClient {
    private AdminClient() {
    }

    /** @throws IOException the socket is missing, not ours to open (mode 0600: root only), or the agent hung up */
    public static AdminSocket.Reply ask(Path socket, String command) throws IOException {
        try (UnixSocketChannel c = UnixSocketChannel.open(new UnixSocketAddress(socket.toFile()))) {
            ByteBuffer out = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8));
            while (out.hasRemaining()) {
                c.write(out);
            }
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            ByteBuffer in = ByteBuffer.allocate(16 * 1024);
            while (true) {
                in.clear();
                int n = c.read(in);
                if (n <= 0) {
                    break;
                }
                all.write(in.array(), 0, n);
            }
            String text = all.toString(StandardCharsets.UTF_8);
            int eol = text.indexOf('\n');
            String first = eol < 0 ? text : text.substring(0, eol);
            String body = eol < 0 ? "" : text.substring(eol + 1);
            if (first.equals("OK")) {
                return AdminSocket.Reply.ok(body);
            }
            if (first.startsWith("ERR ")) {
                return AdminSocket.Reply.refused(first.substring(4));
            }
            throw new IOException("unexpected answer from " + socket + ": " + first);
        }
    }
}
