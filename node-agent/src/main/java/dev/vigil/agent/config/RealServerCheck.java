package dev.vigil.agent.config;

import dev.vigil.agent.check.PgCheckSettings;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/** One checker of a {@code real_server}: keepalived's TCP_CHECK, HTTP_GET, MISC_CHECK, or Vigil's PG_CHECK. */
public sealed interface RealServerCheck {

    CheckTiming timing();

    /** For logs and events: {@code TCP_CHECK 10.0.0.1:5432}. */
    String describe();

    /** {@code TCP_CHECK}: a TCP connect to {@code target} within the connect timeout. */
    record Tcp(ServiceAddress target, CheckTiming timing, SourcePos at) implements RealServerCheck {
        @Override
        public String describe() {
            return "TCP_CHECK " + target;
        }
    }

    /** One {@code url { }} of HTTP_GET: the path and the acceptable status codes (empty: any 2xx). */
    record Url(String path, List<Integer> statusCodes, Optional<String> virtualhost) {
        public Url {
            statusCodes = List.copyOf(statusCodes);
        }

        public boolean accepts(int status) {
            return statusCodes.isEmpty() ? status >= 200 && status <= 299 : statusCodes.contains(status);
        }
    }

    /** {@code HTTP_GET}: every url must answer an accepted status within the connect timeout. */
    record Http(ServiceAddress target, List<Url> urls, Optional<String> virtualhost, CheckTiming timing, SourcePos at)
            implements RealServerCheck {
        public Http {
            urls = List.copyOf(urls);
        }

        @Override
        public String describe() {
            return "HTTP_GET " + target + " " + urls.stream().map(Url::path).toList();
        }
    }

    /** {@code MISC_CHECK}: a program, exit 0 passes; with {@code misc_dynamic} exit 2..255 passes with weight code-2. */
    record Misc(ScriptCommand command, Duration timeout, boolean dynamic, CheckTiming timing, SourcePos at)
            implements RealServerCheck {
        @Override
        public String describe() {
            return "MISC_CHECK " + command.command();
        }
    }

    /** {@code PG_CHECK}: issue 6's PostgreSQL check, by default against the real server's own address and port. */
    record Pg(PgCheckSettings settings, CheckTiming timing, SourcePos at) implements RealServerCheck {
        @Override
        public String describe() {
            return "PG_CHECK " + settings.role().word() + " " + settings.endpoint().describe();
        }
    }
}
