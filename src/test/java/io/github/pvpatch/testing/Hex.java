package io.github.pvpatch.testing;

import java.util.HexFormat;

/** Hex strings for golden bytes: {@code "ff 15 00 10 00 00"}. */
public final class Hex {
    private Hex() {
    }

    /** Parses hex digits; spaces and {@code |} (instruction boundaries in comments) are ignored. */
    public static byte[] bytes(String hex) {
        return HexFormat.of().parseHex(hex.replace(" ", "").replace("|", ""));
    }

    /** Formats as lower-case hex pairs separated by spaces. */
    public static String of(byte[] bytes) {
        return HexFormat.ofDelimiter(" ").formatHex(bytes);
    }

    /** Formats a slice. */
    public static String of(byte[] bytes, int from, int to) {
        return HexFormat.ofDelimiter(" ").formatHex(bytes, from, to);
    }

    /** Little-endian 32-bit value as hex pairs. */
    public static String le32(long value) {
        int v = (int) value;
        return String.format("%02x %02x %02x %02x", v & 0xFF, (v >>> 8) & 0xFF, (v >>> 16) & 0xFF, (v >>> 24) & 0xFF);
    }
}
