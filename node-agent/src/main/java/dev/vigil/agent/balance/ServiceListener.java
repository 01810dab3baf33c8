package dev.vigil.agent.balance;

import io.vertx.core.Handler;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;

/**
 * A listener bound on one service address and the virtual server its new connections go to now. A reload hands it
 * from a retired virtual server to the one that replaces it on the same address instead of closing and binding
 * again: the address never refuses a connection during the reload, and no new bind can race the old socket's
 * asynchronous close (Vert.x shares a listener by host and port, so a bind issued while the old one is still closing
 * joins the dying socket and then accepts nothing).
 */
final class ServiceListener {
    final NetServer server;
    private volatile Handler<NetSocket> serving;

    ServiceListener(NetServer server, Handler<NetSocket> serving) {
        this.server = server;
        this.serving = serving;
        server.connectHandler(s -> this.serving.handle(s));
    }

    /** New connections go to {@code next} from now on; those accepted before stay where they are. */
    void serve(Handler<NetSocket> next) {
        this.serving = next;
    }
}
