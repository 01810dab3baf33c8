package dev.vigil.agent.ops;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;
import ch.qos.logback.core.spi.ContextAwareBase;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;

/**
 * The agent's logging, set up in code (found by logback through {@code META-INF/services}) rather than from a
 * {@code logback.xml}: reading XML loads logback's whole configuration model and a SAX parser, about 600 classes
 * and 2-3 MiB of resident memory that an idle agent pays for good. It logs to stdout (journald under systemd), one
 * line per event: {@code 2026-11-26T03:16:27.512Z vigil-agent: (VI_1) Entering MASTER STATE}, stack traces
 * after the line. {@code VIGIL_LOG_FORMAT=json} (environment or {@code -D}) gives logback's JSON lines instead
 * (timestamp, level, logger, message, throwable); {@code bin/vigil-agent} refuses any value but text or json.
 * Netty and Vert.x log at WARN. {@code -Dlogback.configurationFile=...} still wins: this then steps aside.
 */
public final class ConsoleLog extends ContextAwareBase implements Configurator {

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        String format = System.getProperty("VIGIL_LOG_FORMAT", System.getenv().getOrDefault("VIGIL_LOG_FORMAT", "text"));
        Encoder<ILoggingEvent> encoder;
        if (format.equals("json")) {
            JsonEncoder json = new JsonEncoder();
            json.setWithSequenceNumber(false);
            json.setWithNanoseconds(false);
            json.setWithContext(false);
            json.setWithArguments(false);
            json.setWithFormattedMessage(true);
            json.setWithMessage(false);
            encoder = json;
        } else {
            encoder = new LineEncoder();
        }
        encoder.setContext(context);
        encoder.start();
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName(format);
        console.setEncoder(encoder);
        console.start();
        ch.qos.logback.classic.Logger root = context.getLogger(ch.qos.logback.classic.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(console);
        context.getLogger("io.netty").setLevel(Level.WARN);
        context.getLogger("io.vertx").setLevel(Level.WARN);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** {@code %d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} vigil-agent: %msg%n} and the stack trace, without a pattern parser. */
    static final class LineEncoder extends EncoderBase<ILoggingEvent> {
        private static final DateTimeFormatter TIME =
                DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX").withZone(ZoneId.systemDefault());

        @Override
        public byte[] headerBytes() {
            return null;
        }

        @Override
        public byte[] encode(ILoggingEvent event) {
            return line(event).getBytes(StandardCharsets.UTF_8);
        }

        static String line(ILoggingEvent event) {
            StringBuilder b = new StringBuilder(128);
            TIME.formatTo(Instant.ofEpochMilli(event.getTimeStamp()), b);
            b.append(" vigil-agent: ").append(event.getFormattedMessage()).append('\n');
            IThrowableProxy thrown = event.getThrowableProxy();
            if (thrown != null) {
                b.append(ThrowableProxyUtil.asString(thrown)).append('\n');
            }
            return b.toString();
        }

        @Override
        public byte[] footerBytes() {
            return null;
        }
    }
}
