package dev.vigil.lab;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A packet capture on a segment's bridge (dumpcap into a pcapng file in the lab's work directory), read back
 * with tshark display filters. Capturing has begun when {@link NetLab#capture(Segment)} returns.
 */
public final class Capture implements AutoCloseable {

    /** dumpcap reads the kernel ring every 250 ms and drops what it has not read when stopped: wait that out, with room for a loaded machine. */
    private static final long DRAIN_MILLIS = 1000;

    private final Segment segment;
    private final Path file;
    private final HostProcess dumpcap;

    private Capture(Segment segment, Path file, HostProcess dumpcap) {
        this.segment = segment;
        this.file = file;
        this.dumpcap = dumpcap;
    }

    static Capture start(Segment segment, Path file) {
        Path log = file.resolveSibling(file.getFileName() + ".log");
        HostProcess dumpcap = HostProcess.start(List.of("dumpcap", "-i", segment.bridge(), "-w", file.toString()), log);
        // dumpcap prints "File: ..." once the interface is open and the file is created: from then on nothing is missed.
        Instant deadline = Instant.now().plusSeconds(15);
        while (!dumpcap.log().contains("File: ")) {
            if (!dumpcap.isAlive() || Instant.now().isAfter(deadline)) {
                dumpcap.kill();
                throw new IllegalStateException("capture on " + segment.bridge() + " did not start; dumpcap said:\n" + dumpcap.log());
            }
            HostProcess.sleep(20);
        }
        return new Capture(segment, file, dumpcap);
    }

    public Segment segment() {
        return segment;
    }

    /** The pcapng file (deleted with the lab; copy it elsewhere to keep it). */
    public Path file() {
        return file;
    }

    public boolean isRunning() {
        return dumpcap.isAlive();
    }

    /** Stops capturing after letting packets already on the wire reach the file. Idempotent. */
    public void stop() {
        if (dumpcap.isAlive()) {
            HostProcess.sleep(DRAIN_MILLIS);
            Exec.run("kill", "-INT", Long.toString(dumpcap.pid()));
            if (dumpcap.waitFor(Duration.ofSeconds(10)).isEmpty()) {
                dumpcap.kill();
            }
        }
    }

    /**
     * Decodes the capture with tshark: one row per packet matching {@code displayFilter}, one string per field
     * (empty when the packet lacks it; repeated fields joined by ','). Example:
     * {@code rows("vrrp", "frame.time_epoch", "ip.src", "vrrp.virt_rtr_id", "vrrp.prio")}.
     * Call {@link #stop()} first for a complete picture; while running, it sees what dumpcap has flushed.
     */
    public List<List<String>> rows(String displayFilter, String... fields) {
        if (fields.length == 0) {
            throw new IllegalArgumentException("rows needs at least one field, e.g. \"ip.src\"");
        }
        List<String> argv = new ArrayList<>(List.of("tshark", "-n", "-r", file.toString(), "-Y", displayFilter,
                "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,"));
        for (String field : fields) {
            argv.add("-e");
            argv.add(field);
        }
        ExecResult result = Exec.run(Duration.ofSeconds(60), argv);
        if (!result.ok()) {
            throw new IllegalStateException("tshark could not read " + file + " with filter '" + displayFilter + "': " + result.describe());
        }
        List<List<String>> rows = new ArrayList<>();
        for (String line : result.stdout().split("\n")) {
            if (!line.isEmpty()) {
                List<String> row = new ArrayList<>(Arrays.asList(line.split("\t", -1)));
                while (row.size() < fields.length) {
                    row.add("");
                }
                rows.add(List.copyOf(row));
            }
        }
        return List.copyOf(rows);
    }

    /** How many packets match the display filter. */
    public int count(String displayFilter) {
        return rows(displayFilter, "frame.number").size();
    }

    @Override
    public void close() {
        if (dumpcap.isAlive()) {
            dumpcap.kill();
        }
    }

    boolean exists() {
        return Files.exists(file);
    }
}
