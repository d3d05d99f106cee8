package io.github.pvpatch.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.GZIPOutputStream;

/**
 * Synthetic vmlinuz files around the build's sample images: the bzImage wrapper and its gzip, LZ4
 * legacy and XZ payloads. The one builder of test bzImages, for the importer's tests and the
 * command's.
 */
public final class Images {
    private Images() {
    }

    /** {@return a minimal bzImage: one setup sector, the HdrS header, the payload after the setup code} */
    public static byte[] bzImage(byte[] payload) {
        int start = 2 * 512;
        int offset = 0x40;
        byte[] b = new byte[start + offset + payload.length + 4];
        b[0x1F1] = 1;
        b[0x202] = 'H';
        b[0x203] = 'd';
        b[0x204] = 'r';
        b[0x205] = 'S';
        le32(b, 0x248, offset);
        le32(b, 0x24C, payload.length);
        System.arraycopy(payload, 0, b, start + offset, payload.length);
        return b;
    }

    /** Writes {@code v} little-endian at {@code at}, as the boot protocol's header fields are. */
    public static void le32(byte[] b, int at, int v) {
        for (int i = 0; i < 4; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    /** {@return {@code data} gzip-compressed, as the kernel's default payload} */
    public static byte[] gzip(byte[] data) {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return gz.toByteArray();
    }

    /**
     * {@return the kernel's LZ4 legacy frame holding {@code data}} Blocks of 4 KiB, each a run of
     * literals then a match repeating the last byte, so both halves of the decoder are reached;
     * then the uncompressed size, as the kernel appends it.
     */
    public static byte[] lz4Legacy(byte[] data) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(0x02);
        out.write(0x21);
        out.write(0x4C);
        out.write(0x18);
        for (int at = 0; at < data.length; at += 4096) {
            int n = Math.min(4096, data.length - at);
            ByteArrayOutputStream block = new ByteArrayOutputStream();
            // One sequence of n literals (no match; the last sequence of a block).
            block.write(Math.min(n, 15) << 4);
            if (n >= 15) {
                int rest = n - 15;
                while (rest >= 255) {
                    block.write(255);
                    rest -= 255;
                }
                block.write(rest);
            }
            block.write(data, at, n);
            byte[] b = block.toByteArray();
            byte[] size = new byte[4];
            le32(size, 0, b.length);
            out.write(size, 0, 4);
            out.write(b, 0, b.length);
        }
        byte[] size = new byte[4];
        le32(size, 0, data.length);
        out.write(size, 0, 4);
        return out.toByteArray();
    }

    /** {@return an XZ stream of {@code data} as the kernel's xz_wrap.sh makes it, with a small dictionary} */
    public static byte[] xz(byte[] data) {
        ByteArrayOutputStream xz = new ByteArrayOutputStream();
        try {
            org.tukaani.xz.LZMA2Options lzma = new org.tukaani.xz.LZMA2Options(0);   // fast: the fuzzer recompresses
            lzma.setDictSize(64 << 10);
            org.tukaani.xz.FilterOptions[] filters = {new org.tukaani.xz.X86Options(), lzma};
            try (org.tukaani.xz.XZOutputStream out = new org.tukaani.xz.XZOutputStream(xz, filters,
                    org.tukaani.xz.XZ.CHECK_CRC32)) {
                out.write(data);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] stream = xz.toByteArray();
        return java.util.Arrays.copyOf(stream, stream.length + 4);
    }
}
