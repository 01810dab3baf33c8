package dev.vigil.agent.config;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs keepalived 2.2.7's own {@code keepalived -t} and Vigil's parser on every sample, broken file and
 * grammar case
 * and checks both verdicts against the table in docs/keepalived-compatibility.md, where each
 * difference is explained. keepalived runs in a private network namespace ({@code unshare -n}) with
 * veth interfaces eth0..eth3, which disappears with the process.
 */
@Timeout(600)
class KeepalivedDifferentialIT {

    private static final Pattern ROW = Pattern.compile("^\\| `((?:samples|broken|grammar)/[^`]+)` \\| (\\d+) \\| ([^|]+) \\|");

    record Expected(String file, int keepalivedExit, String vigilVerdict) {}

    static Path resources;

    @BeforeAll
    static void needsKeepalived() throws Exception {
        resources = Path.of(KeepalivedDifferentialIT.class.getResource("/config").toURI());
        boolean ci = "true".equals(System.getenv("CI"));
        String missing = null;
        if (!Files.isExecutable(Path.of("/usr/sbin/keepalived"))) {
            missing = "keepalived (Debian package keepalived) is not installed";
        } else if (!Files.isExecutable(Path.of("/usr/bin/unshare"))) {
            missing = "unshare (util-linux) is not installed";
        } else if (!"root".equals(System.getProperty("user.name"))) {
            missing = "this test needs root for unshare -n";
        }
        if (missing != null) {
            if (ci) {
                throw new IllegalStateException(missing);
            }
            Assumptions.abort(missing);
        }
    }

    static List<Expected> documented() throws IOException {
        List<Expected> out = new ArrayList<>();
        for (String line : Files.readAllLines(CompatibilityDocTest.DOC)) {
            Matcher m = ROW.matcher(line);
            if (m.find()) {
                out.add(new Expected(m.group(1), Integer.parseInt(m.group(2)), m.group(3).strip()));
            }
        }
        return out;
    }

    @Test
    void everyCaseIsDocumented() throws IOException {
        TreeSet<String> files = new TreeSet<>();
        try (Stream<Path> s = Files.list(resources.resolve("samples"))) {
            s.map(p -> "samples/" + p.getFileName()).filter(n -> n.contains("keepalived.conf.")).forEach(files::add);
        }
        try (Stream<Path> s = Files.list(resources.resolve("broken"))) {
            s.map(p -> "broken/" + p.getFileName()).filter(n -> n.endsWith(".conf")).forEach(files::add);
        }
        try (Stream<Path> s = Files.list(resources.resolve("grammar"))) {
            s.map(p -> "grammar/" + p.getFileName()).filter(n -> n.endsWith(".conf")).forEach(files::add);
        }
        assertThat(documented()).extracting(Expected::file).containsExactlyInAnyOrderElementsOf(files);
    }

    @Test
    void verdictsAreTheDocumentedOnes() throws Exception {
        List<String> mismatches = new ArrayList<>();
        for (Expected e : documented()) {
            Path file = resources.resolve(e.file());
            int keepalived = keepalivedExit(file);
            String vigil = vigilVerdict(file);
            if (keepalived != e.keepalivedExit() || !vigil.equals(e.vigilVerdict())) {
                mismatches.add(e.file() + ": keepalived exit " + keepalived + " (documented " + e.keepalivedExit()
                        + "), Vigil " + vigil + " (documented " + e.vigilVerdict() + ")");
            }
        }
        assertThat(mismatches).isEmpty();
    }

    static String vigilVerdict(Path file) {
        ConfigResult r = KeepalivedConfigParser.parse(file, Optional.empty());
        if (r instanceof ConfigResult.Invalid) {
            return "invalid";
        }
        return r.findings().isEmpty() ? "valid" : "valid, warnings";
    }

    static int keepalivedExit(Path file) throws IOException, InterruptedException {
        String script = "ip link add eth0 type veth peer name eth1 && ip link add eth2 type veth peer name eth3"
                + " && for i in eth0 eth1 eth2 eth3; do ip link set $i up; done"
                + " && cd \"$(dirname \"$1\")\" && exec keepalived -t -f \"$1\"";
        Process p = new ProcessBuilder("unshare", "-n", "sh", "-c", script, "keepalived-t", file.toString())
                .redirectErrorStream(true).start();
        try {
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("keepalived -t did not finish on " + file + ": "
                        + new String(out, StandardCharsets.UTF_8));
            }
            return p.exitValue();
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }
}
