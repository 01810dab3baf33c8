package dev.vigil.agent.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(value = 20, unit = TimeUnit.SECONDS)
class NotifyFifoWriterTest {

    @TempDir
    Path dir;

    @Test
    void createsTheFifoAndAReaderGetsTheLinesInOrder() throws Exception {
        Path fifo = dir.resolve("notify.fifo");
        try (NotifyFifoWriter writer = NotifyFifoWriter.open(fifo);
             BufferedReader reader = Files.newBufferedReader(fifo, StandardCharsets.UTF_8)) {
            assertThat(Files.readAttributes(fifo, "unix:mode").get("mode")).isEqualTo(0010600);
            for (int i = 0; i < 100; i++) {
                assertThat(writer.write("INSTANCE \"VI_" + i + "\" MASTER 100\n")).isTrue();
            }
            for (int i = 0; i < 100; i++) {
                assertThat(reader.readLine()).isEqualTo("INSTANCE \"VI_" + i + "\" MASTER 100");
            }
        }
    }

    @Test
    void withoutAReaderWritesNeverBlockAndAFullPipeDropsAndCounts() throws Exception {
        try (NotifyFifoWriter writer = NotifyFifoWriter.open(dir.resolve("f"))) {
            String line = "INSTANCE \"VI_1\" BACKUP 100\n";
            int lines = 4 * 65536 / line.length();
            for (int i = 0; i < lines; i++) {
                writer.write(line);
            }
            assertThat(writer.droppedLines()).isPositive();
            assertThat(writer.writtenLines() + writer.droppedLines()).isEqualTo(lines);
        }
    }

    @Test
    void anExistingFileThatIsNotAFifoIsRefused() throws Exception {
        Path file = Files.writeString(dir.resolve("plain"), "x");
        assertThatThrownBy(() -> NotifyFifoWriter.open(file)).isInstanceOf(IOException.class)
                .hasMessage("notify_fifo " + file + " exists and is not a FIFO");
        assertThatThrownBy(() -> NotifyFifoWriter.open(dir.resolve("no/such/dir/f"))).isInstanceOf(IOException.class)
                .hasMessageContaining("cannot create FIFO: No such file or directory");
    }
}
