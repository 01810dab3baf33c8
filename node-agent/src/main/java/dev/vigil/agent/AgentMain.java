package dev.vigil.agent;

import dev.vigil.agent.config.ConfigResult;
import dev.vigil.agent.config.Finding;
import dev.vigil.agent.config.KeepalivedConfigParser;
import dev.vigil.agent.daemon.AgentRun;
import dev.vigil.agent.daemon.LeftoverVips;
import dev.vigil.agent.net.LinuxCallFailed;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code bin/vigil-agent}: keepalived's command line where it makes sense. {@code -t} checks the file; otherwise
 * the daemon ({@link dev.vigil.agent.daemon.AgentRun}) runs every instance in the foreground until SIGTERM/SIGINT
 * (a JVM cannot fork, so {@code -n} is implied; {@code -l} is implied too: logs go to stdout for journald).
 */
@Command(name = "vigil-agent", mixinStandardHelpOptions = true, version = "vigil-agent 0.1.0",
        description = "VRRP daemon reading keepalived.conf.")
public final class AgentMain implements Callable<Integer> {

    /** Exit status of {@code -t} when the file has errors (keepalived uses 1..5 for its own reasons). */
    public static final int EXIT_CONFIG_ERROR = 1;
    /** The configuration is valid but cannot run on this host (no such interface, no source address, no rights). */
    public static final int EXIT_CANNOT_RUN = 2;

    @Option(names = {"-f", "--use-file"}, paramLabel = "FILE", defaultValue = "/etc/keepalived/keepalived.conf",
            description = "configuration file (default: ${DEFAULT-VALUE})")
    Path file;

    @Option(names = {"-n", "--dont-fork"}, description = "stay in the foreground")
    boolean dontFork;

    @Option(names = {"-l", "--log-console"}, description = "log to the console")
    boolean logConsole;

    @Option(names = {"-D", "--log-detail"}, description = "detailed logging")
    boolean logDetail;

    @Option(names = {"-t", "--config-test"}, description = "check the configuration, print findings, exit")
    boolean configTest;

    @Option(names = {"-p", "--pid"}, paramLabel = "FILE", description = "pid file")
    Optional<Path> pidFile;

    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT",
            description = "serve Prometheus metrics on http://HOST:PORT/metrics (keepalived-exporter's names)")
    Optional<String> metricsListen;

    @Option(names = "--remove-vips", description = "remove this configuration's VIPs from the host and exit "
            + "(systemd ExecStopPost: what an agent killed with -9 left behind)")
    boolean removeVips;

    @Option(names = {"-i", "--config-id"}, paramLabel = "ID",
            description = "config id matched by @ID lines (default: the short host name)")
    Optional<String> configId;

    @Option(names = "--admin-socket", paramLabel = "PATH",
            description = "admin socket of vigilctl (overrides vigil { admin_socket }; default /run/vigil/agent.sock)")
    Optional<Path> adminSocket;

    @Option(names = "--coordinator", paramLabel = "URL", split = ",",
            description = "coordinator ingest endpoint(s), repeatable or comma-separated; any live one is used "
                    + "(overrides vigil { coordinator })")
    List<URI> coordinators = List.of();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new AgentMain()).execute(args));
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Optional<String> badCoordinator = coordinators.stream()
                .filter(u -> !("http".equals(u.getScheme()) || "https".equals(u.getScheme())) || u.getHost() == null)
                .map(URI::toString).findFirst();
        if (badCoordinator.isPresent()) {
            err.println("--coordinator '" + badCoordinator.get() + "': must be an http:// or https:// URL with a host");
            err.flush();
            return EXIT_CONFIG_ERROR;
        }
        Optional<String> id = configId.isPresent() ? configId : shortHostName();
        ConfigResult result = withFlags(KeepalivedConfigParser.parse(file, id, AgentMain::interfaceExists));
        if (configTest) {
            result.findings().forEach(f -> err.println(f.format()));
            err.flush();
            if (result instanceof ConfigResult.Valid v) {
                long warnings = v.findings().stream().filter(f -> !f.isError()).count();
                out.println(file + ": configuration is valid: " + v.config().instances().size()
                        + " vrrp_instance(s), " + warnings + " warning(s)");
                out.flush();
                return 0;
            }
            long errors = result.findings().stream().filter(Finding::isError).count();
            out.println(file + ": configuration has " + errors + " error(s)");
            out.flush();
            return EXIT_CONFIG_ERROR;
        }
        if (result instanceof ConfigResult.Invalid) {
            result.findings().forEach(f -> err.println(f.format()));
            err.flush();
            return EXIT_CONFIG_ERROR;
        }
        ConfigResult.Valid valid = (ConfigResult.Valid) result;
        if (removeVips) {
            return removeVips(valid, out, err);
        }
        Optional<InetSocketAddress> metrics;
        try {
            metrics = metricsListen.map(AgentMain::hostPort);
        } catch (IllegalArgumentException e) {
            err.println("vigil-agent: --metrics-listen: " + e.getMessage());
            err.flush();
            return EXIT_CONFIG_ERROR;
        }
        Optional<String> reloadId = id;
        return new AgentRun(valid.config(), valid.findings(), pidFile, logDetail, file, err,
                () -> withFlags(KeepalivedConfigParser.parse(file, reloadId, AgentMain::interfaceExists)), metrics).run();
    }

    /** The flags that override the {@code vigil { }} block, applied to a valid configuration (at start and reload). */
    ConfigResult withFlags(ConfigResult r) {
        if (!(r instanceof ConfigResult.Valid v)) {
            return r;
        }
        var vigil = v.config().vigil();
        if (adminSocket.isPresent()) {
            vigil = vigil.withAdminSocket(adminSocket.get());
        }
        if (!coordinators.isEmpty()) {
            vigil = vigil.withCoordinators(coordinators);
        }
        return new ConfigResult.Valid(v.config().withVigil(vigil), v.findings());
    }

    private static int removeVips(ConfigResult.Valid valid, PrintWriter out, PrintWriter err) {
        try {
            LeftoverVips.Outcome outcome = LeftoverVips.remove(valid.config());
            outcome.removed().forEach(a -> out.println("removed " + a));
            outcome.failures().forEach(f -> err.println("vigil-agent: cannot remove " + f));
            out.flush();
            err.flush();
            return outcome.failures().isEmpty() ? 0 : EXIT_CANNOT_RUN;
        } catch (LinuxCallFailed e) {
            err.println("vigil-agent: cannot remove VIPs: " + e.getMessage());
            err.flush();
            return EXIT_CANNOT_RUN;
        }
    }

    /** {@code HOST:PORT} or {@code [V6]:PORT}. */
    static InetSocketAddress hostPort(String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 1) {
            throw new IllegalArgumentException("expected HOST:PORT, got '" + text + "'");
        }
        String host = text.substring(0, colon).replace("[", "").replace("]", "");
        try {
            int port = Integer.parseInt(text.substring(colon + 1));
            if (port < 0 || port > 65535) {
                throw new NumberFormatException();
            }
            return new InetSocketAddress(host, port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("expected a port 0-65535 after ':', got '" + text + "'");
        }
    }

    /** Whether this host (this network namespace) has a link of that name. */
    static boolean interfaceExists(String name) {
        if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
            return false;
        }
        return Files.exists(Path.of("/sys/class/net", name));
    }

    /** keepalived's default config id: the host name up to its first dot. */
    static Optional<String> shortHostName() {
        try {
            String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
            int dot = name.indexOf('.');
            String shortName = dot >= 0 ? name.substring(0, dot) : name;
            return shortName.isEmpty() ? Optional.empty() : Optional.of(shortName);
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
