package dev.vigil.agent.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Writes config files into a test's temp directory and reads them back through the parser. */
final class ConfigFixture {

    /** A minimal valid instance body, to which tests add the lines they are about. */
    static final String INSTANCE_BASICS = """
                interface eth0
                virtual_router_id 51
                virtual_ipaddress {
                    192.0.2.10/24
                }
            """;

    final Path dir;

    ConfigFixture(Path dir) {
        this.dir = dir;
    }

    Path write(String name, String content) {
        Path p = dir.resolve(name);
        try {
            Files.createDirectories(p.getParent());
            Files.writeString(p, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    ConfigResult parse(String name, String content) {
        return KeepalivedConfigParser.parse(write(name, content), Optional.empty());
    }

    ConfigResult parse(Path file) {
        return KeepalivedConfigParser.parse(file, Optional.empty());
    }

    static AgentConfig valid(ConfigResult r) {
        assertThat(r).as("findings: %s", r.findings()).isInstanceOf(ConfigResult.Valid.class);
        return ((ConfigResult.Valid) r).config();
    }

    static List<String> formatted(ConfigResult r) {
        return r.findings().stream().map(Finding::format).toList();
    }

    static List<String> errors(ConfigResult r) {
        return r.findings().stream().filter(Finding::isError).map(Finding::format).toList();
    }

    static List<String> warnings(ConfigResult r) {
        return r.findings().stream().filter(f -> !f.isError()).map(Finding::format).toList();
    }

    String file(String name) {
        return dir.resolve(name).toString();
    }
}
