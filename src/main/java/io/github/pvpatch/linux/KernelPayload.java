package io.github.pvpatch.linux;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Objects;
import java.util.zip.GZIPInputStream;

/**
 * Gets the vmlinux ELF out of a compressed kernel ({@code vmlinuz}, a bzImage): the setup
 * header gives the payload's offset and length; the payload's magic gives its compression.
 *
 * <p>gzip and LZ4 (the kernel's legacy frame, Debian's x86-64 choice) are read with the JDK and
 * pvpatch's own LZ4 block decoder; XZ (Debian's i386 choice) needs {@code org.tukaani:xz} on the
 * class or module path, which the {@code pvpatch} command carries. Other compressions (zstd,
 * bzip2, LZMA, LZO) are named in the error, with the extraction command to run instead.
 *
 * <pre>{@code
 * byte[] vmlinux = KernelPayload.extract(Files.readAllBytes(Path.of("/boot/vmlinuz-6.1.0-56-amd64")));
 * }</pre>
 */
public final class KernelPayload {
    /** The most a payload may unpack to: kernels are tens of MB; this stops a decompression bomb. */
    public static final int MAX_VMLINUX = 512 << 20;

    private KernelPayload() {
    }

    /**
     * {@return whether {@code bytes} look like a bzImage: the {@code HdrS} setup-header magic at 0x202}
     *
     * @param bytes a file's bytes
     */
    public static boolean isBzImage(byte[] bytes) {
        return bytes.length > 0x250 && bytes[0x202] == 'H' && bytes[0x203] == 'd' && bytes[0x204] == 'r'
                && bytes[0x205] == 'S';
    }

    /**
     * {@return the ELF inside a bzImage}
     *
     * @param bzImage the whole vmlinuz file
     * @throws ImageFormatException if it is not a bzImage, its payload runs past the end, or the
     *     payload's compression cannot be read here
     */
    public static byte[] extract(byte[] bzImage) {
        Objects.requireNonNull(bzImage, "bzImage");
        if (!isBzImage(bzImage)) {
            throw new ImageFormatException("not a bzImage: no HdrS setup header at offset 0x202");
        }
        int setupSects = bzImage[0x1F1] & 0xFF;
        long start = (long) ((setupSects == 0 ? 4 : setupSects) + 1) * 512;
        long payloadOffset = u32(bzImage, 0x248);
        long payloadLength = u32(bzImage, 0x24C);
        long from = start + payloadOffset;
        if (payloadOffset == 0 || from > bzImage.length || payloadLength > bzImage.length - from) {
            throw new ImageFormatException("bzImage payload at 0x" + Long.toHexString(from) + " length " + payloadLength
                    + " runs past the end of the file (" + bzImage.length + " bytes); boot protocol < 2.08 or truncated");
        }
        byte[] payload = Arrays.copyOfRange(bzImage, (int) from, (int) (from + payloadLength));
        byte[] elf = decompress(payload);
        if (elf.length < 4 || elf[0] != 0x7F || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F') {
            throw new ImageFormatException("the bzImage payload did not unpack to an ELF file");
        }
        return elf;
    }

    /**
     * {@return the bytes of a compressed kernel payload}
     *
     * @param payload gzip, LZ4 legacy frame or XZ bytes
     * @throws ImageFormatException if the format is unknown, unsupported here, or corrupt
     */
    public static byte[] decompress(byte[] payload) {
        try {
            if (startsWith(payload, 0x1F, 0x8B)) {
                return readAll(new GZIPInputStream(new ByteArrayInputStream(payload)));
            }
            if (startsWith(payload, 0x02, 0x21, 0x4C, 0x18)) {
                return lz4Legacy(payload);
            }
            if (startsWith(payload, 0xFD, '7', 'z', 'X', 'Z', 0x00)) {
                return Xz.decompress(payload);
            }
        } catch (IOException e) {
            throw new ImageFormatException("corrupt kernel payload: " + e.getMessage(), e);
        }
        String format = startsWith(payload, 0x28, 0xB5, 0x2F, 0xFD) ? "zstd"
                : startsWith(payload, 'B', 'Z', 'h') ? "bzip2"
                : startsWith(payload, 0x5D, 0x00, 0x00) ? "LZMA"
                : startsWith(payload, 0x89, 'L', 'Z', 'O') ? "LZO" : null;
        throw new ImageFormatException(format == null
                ? "the kernel payload's compression is unknown (first bytes " + hex(payload) + ")"
                : "the kernel payload is " + format + ", which pvpatch does not unpack: extract vmlinux first, e.g."
                        + " with the kernel's scripts/extract-vmlinux, and pass that");
    }

    /**
     * The kernel's LZ4 legacy frame: the magic, then blocks of a 32-bit little-endian compressed
     * size followed by one LZ4 block; the kernel appends its 32-bit uncompressed size, which
     * reads as a block size with nothing after it and ends the frame.
     */
    static byte[] lz4Legacy(byte[] in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(in.length * 4);
        // A block unpacks to at most 8 MiB, and to at most 256 bytes per compressed byte (a match
        // grows by 255 per length byte): a small payload gets a small buffer, not 8 MiB each time.
        byte[] block = new byte[(int) Math.min(8 << 20, 256L * in.length + 64)];
        int at = 4;
        while (at + 4 <= in.length) {
            long size = u32(in, at);
            if (size == 0x184C2102L) {   // a second legacy frame (concatenated)
                at += 4;
                continue;
            }
            if (size > in.length - at - 4) {
                break;   // the trailing uncompressed-size word, or padding
            }
            at += 4;
            int n = lz4Block(in, at, (int) size, block);
            out.write(block, 0, n);
            if (out.size() > MAX_VMLINUX) {
                throw new ImageFormatException("the LZ4 payload unpacks to more than " + MAX_VMLINUX + " bytes");
            }
            at += (int) size;
        }
        return out.toByteArray();
    }

    /** Decodes one LZ4 block of {@code length} bytes at {@code src[from]} into {@code dst}; {@return its size}. */
    static int lz4Block(byte[] src, int from, int length, byte[] dst) {
        int ip = from;
        int end = from + length;
        int op = 0;
        while (ip < end) {
            int token = src[ip++] & 0xFF;
            int literals = token >>> 4;
            if (literals == 15) {
                int b;
                do {
                    b = byteAt(src, ip++, end);
                    literals += b;
                } while (b == 255);
            }
            if (literals > end - ip || literals > dst.length - op) {
                throw new ImageFormatException("corrupt LZ4 block: literals run past the block or the output");
            }
            System.arraycopy(src, ip, dst, op, literals);
            ip += literals;
            op += literals;
            if (ip >= end) {
                break;   // the last sequence has no match
            }
            int offset = byteAt(src, ip, end) | byteAt(src, ip + 1, end) << 8;
            ip += 2;
            int match = (token & 0xF) + 4;
            if ((token & 0xF) == 15) {
                int b;
                do {
                    b = byteAt(src, ip++, end);
                    match += b;
                } while (b == 255);
            }
            if (offset == 0 || offset > op || match > dst.length - op) {
                throw new ImageFormatException("corrupt LZ4 block: match offset " + offset + " at output " + op);
            }
            // Overlapping copies repeat the last bytes, so copy forwards one byte at a time when close.
            if (offset >= match) {
                System.arraycopy(dst, op - offset, dst, op, match);
                op += match;
            } else {
                for (int i = 0; i < match; i++, op++) {
                    dst[op] = dst[op - offset];
                }
            }
        }
        return op;
    }

    private static int byteAt(byte[] src, int at, int end) {
        if (at >= end) {
            throw new ImageFormatException("corrupt LZ4 block: truncated sequence");
        }
        return src[at] & 0xFF;
    }

    private static byte[] readAll(InputStream in) throws IOException {
        try (InputStream s = in) {
            byte[] out = s.readNBytes(MAX_VMLINUX + 1);
            if (out.length > MAX_VMLINUX) {
                throw new ImageFormatException("the payload unpacks to more than " + MAX_VMLINUX + " bytes");
            }
            return out;
        }
    }

    private static boolean startsWith(byte[] b, int... magic) {
        if (b.length < magic.length) {
            return false;
        }
        for (int i = 0; i < magic.length; i++) {
            if ((b[i] & 0xFF) != magic[i]) {
                return false;
            }
        }
        return true;
    }

    private static long u32(byte[] b, int at) {
        return (b[at] & 0xFFL) | (b[at + 1] & 0xFFL) << 8 | (b[at + 2] & 0xFFL) << 16 | (b[at + 3] & 0xFFL) << 24;
    }

    private static String hex(byte[] b) {
        return java.util.HexFormat.ofDelimiter(" ").formatHex(b, 0, Math.min(6, b.length));
    }

    /** XZ through org.tukaani.xz, loaded only when an XZ payload is met (an optional dependency). */
    private static final class Xz {
        /** The most memory the XZ decoder may use, in KiB: a 32 MiB dictionary and then some. */
        private static final int XZ_MEMORY_KIB = 64 << 10;

        static byte[] decompress(byte[] payload) throws IOException {
            try {
                Class.forName("org.tukaani.xz.SingleXZInputStream", false, KernelPayload.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                throw new ImageFormatException("the kernel payload is XZ, which needs org.tukaani:xz on the class or"
                        + " module path (the pvpatch command has it)");
            }
            // One stream only: the kernel appends its uncompressed size after the XZ stream.
            // The memory limit refuses a header asking for a huge dictionary (up to 4 GiB from a few
            // bytes) before it is allocated; the kernel's xz_wrap.sh uses 32 MiB.
            return readAll(new org.tukaani.xz.SingleXZInputStream(new ByteArrayInputStream(payload), XZ_MEMORY_KIB));
        }
    }
}
