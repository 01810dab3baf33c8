package dev.vigil.agent.net;

import java.util.Arrays;
import java.util.HexFormat;

/** A link-layer address (6 bytes on Ethernet), shown as {@code aa:bb:cc:dd:ee:ff}. */
public final class MacAddress {
    private final byte[] bytes;

    public MacAddress(byte[] bytes) {
        this.bytes = bytes.clone();
    }

    public static MacAddress parse(String text) {
        return new MacAddress(HexFormat.ofDelimiter(":").parseHex(text));
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public int length() {
        return bytes.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MacAddress m && Arrays.equals(bytes, m.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return HexFormat.ofDelimiter(":").formatHex(bytes);
    }
}
