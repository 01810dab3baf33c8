package dev.vigil.agent.report;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class RecordFrameTest {
    private static final List<RecordFrame> FRAMES = List.of(
            frame(1, "{\"type\":\"AgentStarted\",\"seq\":1}"),
            frame(2, "{\"type\":\"RouterStateChanged\",\"cause\":\"master-down timer expired\"}"),
            frame(3, "{\"type\":\"VipsAdded\",\"addresses\":[\"192.0.2.100/32\"]}"));

    private static RecordFrame frame(long seq, String json) {
        return new RecordFrame("5b0c6a1e-0000-4000-8000-000000000001", seq, json.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] log(List<RecordFrame> frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        frames.forEach(f -> out.writeBytes(f.encode()));
        return out.toByteArray();
    }

    private static void assertSameFrames(List<RecordFrame.Located> found, List<RecordFrame> expected) {
        assertThat(found).hasSize(expected.size());
        for (int i = 0; i < expected.size(); i++) {
            RecordFrame f = found.get(i).frame();
            assertThat(f.bootId()).isEqualTo(expected.get(i).bootId());
            assertThat(f.seq()).isEqualTo(expected.get(i).seq());
            assertThat(f.json()).isEqualTo(expected.get(i).json());
        }
    }

    @Test
    void intactLogReadsBackEveryRecordWithItsEndOffset() {
        byte[] bytes = log(FRAMES);
        RecordFrame.Scan scan = RecordFrame.scan(bytes, bytes.length);
        assertThat(scan.clean()).isTrue();
        assertSameFrames(scan.records(), FRAMES);
        assertThat(scan.records().get(2).end()).isEqualTo(bytes.length);
        assertThat(scan.records().get(0).end()).isEqualTo(FRAMES.get(0).encodedSize());
    }

    @Test
    void tornTailIsCutAtEveryByteOffsetOfTheLastRecord() {
        byte[] bytes = log(FRAMES);
        int lastStart = bytes.length - FRAMES.get(2).encodedSize();
        for (int cut = lastStart; cut < bytes.length; cut++) {
            RecordFrame.Scan scan = RecordFrame.scan(Arrays.copyOf(bytes, cut), cut);
            assertSameFrames(scan.records(), FRAMES.subList(0, 2));
            assertThat(scan.validEnd()).as("cut at %d", cut).isEqualTo(lastStart);
            assertThat(scan.clean()).as("cut at %d", cut).isEqualTo(cut == lastStart);
        }
    }

    @Test
    void aZeroFilledTailIsNotARecord() {
        byte[] bytes = log(FRAMES);
        byte[] padded = Arrays.copyOf(bytes, bytes.length + 4096);
        RecordFrame.Scan scan = RecordFrame.scan(padded, padded.length);
        assertSameFrames(scan.records(), FRAMES);
        assertThat(scan.validEnd()).isEqualTo(bytes.length);
        assertThat(scan.stopReason()).contains("impossible record length 0");
    }

    @Test
    void everyFlippedBitIsDetectedAndNothingAfterItIsRead() {
        byte[] bytes = log(FRAMES);
        int secondStart = FRAMES.get(0).encodedSize();
        int secondEnd = secondStart + FRAMES.get(1).encodedSize();
        for (int at = secondStart; at < secondEnd; at++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] damaged = bytes.clone();
                damaged[at] ^= (byte) (1 << bit);
                RecordFrame.Scan scan = RecordFrame.scan(damaged, damaged.length);
                assertThat(scan.clean()).as("byte %d bit %d", at, bit).isFalse();
                assertThat(scan.validEnd()).as("byte %d bit %d", at, bit).isEqualTo(secondStart);
                assertSameFrames(scan.records(), FRAMES.subList(0, 1));
            }
        }
    }

    @Test
    void identityTravelsAheadOfTheJson() {
        RecordFrame f = new RecordFrame("boot-2", 42, "{}".getBytes(StandardCharsets.UTF_8));
        byte[] bytes = f.encode();
        RecordFrame back = RecordFrame.scan(bytes, bytes.length).records().get(0).frame();
        assertThat(back.bootId()).isEqualTo("boot-2");
        assertThat(back.seq()).isEqualTo(42);
        assertThat(new String(back.json(), StandardCharsets.UTF_8)).isEqualTo("{}");
    }
}
