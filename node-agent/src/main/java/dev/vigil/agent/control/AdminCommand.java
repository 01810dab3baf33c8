package dev.vigil.agent.control;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code bin/vigilctl status | stats | reload}: the running agent through its admin socket (the other vigilctl
 * commands ask the coordinator). Exit 0 on success, 1 when the agent refused, 2 when it could not be reached.
 */
@Command(name = "vigilctl", mixinStandardHelpOptions = true, version = "vigilctl 0.1.0",
        description = "Ask the local Vigil agent through its admin socket.",
        subcommands = {AdminCommand.Status.class, AdminCommand.Stats.class, AdminCommand.Reload.class})
public final class AdminCommand {
    public static final Path DEFAULT_SOCKET = Path.of("/run/vigil/agent.sock");

    public static void main(String[] args) {
        System.exit(new CommandLine(new AdminCommand()).execute(args));
    }

    abstract static class Request implements Callable<Integer> {
        @Option(names = "--socket", paramLabel = "PATH", description = "the agent's admin socket (default: ${DEFAULT-VALUE})")
        Path socket = DEFAULT_SOCKET;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        abstract String command();

        /** What to print from a successful reply's body. */
        abstract String render(String body) throws IOException;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            AdminSocket.Reply reply;
            try {
                reply = AdminClient.ask(socket, command());
            } catch (IOException e) {
                err.println("vigilctl: cannot reach the agent at " + socket + ": " + e.getMessage());
                err.flush();
                return 2;
            }
            if (!reply.ok()) {
                err.println("vigilctl: " + command() + " refused: " + reply.body());
                err.flush();
                return 1;
            }
            try {
                out.print(render(reply.body()));
            } catch (IOException e) {
                err.println("vigilctl: unreadable answer: " + e.getMessage());
                err.flush();
                return 2;
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "every instance: state, priorities, master, VIPs (keepalived's SIGUSR1 dump)")
    static final class Status extends Request {
        @Option(names = "--json", description = "the agent's JSON, as the admin socket sends it")
        boolean json;

        @Override
        String command() {
            return "status";
        }

        @Override
        String render(String body) throws IOException {
            return json ? body : StatusText.table(StatusJson.read(body));
        }
    }

    @Command(name = "stats", mixinStandardHelpOptions = true, description = "per-instance counters (keepalived's SIGUSR2 dump)")
    static final class Stats extends Request {
        @Option(names = "--json", description = "the agent's JSON, as the admin socket sends it")
        boolean json;

        @Override
        String command() {
            return "stats";
        }

        @Override
        String render(String body) throws IOException {
            return json ? body : StatusText.stats(StatusJson.read(body));
        }
    }

    @Command(name = "reload", mixinStandardHelpOptions = true, description = "re-read the configuration, as SIGHUP does (root only)")
    static final class Reload extends Request {
        @Override
        String command() {
            return "reload";
        }

        @Override
        String render(String body) {
            return body;
        }
    }
}
