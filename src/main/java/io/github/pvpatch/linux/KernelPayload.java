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
 * <p>gzip and LZ4 (the kernel's legacy frame, Debian 11's x86-64 choice) are read with the JDK and
 * pvpatch's own LZ4 block decoder. Two need an optional library on the class or module path,
 * which the {@code pvpatch} command's jar carries: XZ (Debian's i386 choice) needs
 * {@code org.tukaani:xz} (module {@code org.tukaani.xz}), and zstd (Debian 12 and 13 x86-64)
 * needs {@code com.github.luben:zstd-jni} (module {@code com.github.luben.zstd_jni}), the
 * reference libzstd over JNI: the pure-Java decoders stop short of the kernel's 128 MB window. Without it, such a payload is an {@link ImageFormatException} naming the artifact,
 * the module and {@code --add-modules}. Other compressions (bzip2, LZMA, LZO) are named in the
 * error, with the extraction command to run instead.
 *
 * <p>A payload may unpack to at most 64 times its own size (kernels pack 3 to 5 times), and to
 * at most {@link #MAX_VMLINUX} bytes: every decoder stops at that limit while it unpacks, and the
 * {@link ImageFormatException} names the compression, the payload's size, the output so far and
 * the limit.
 *
 * <pre>{@code
 * byte[] vmlinux = KernelPayload.extract(Files.readAllBytes(Path.of("/boot/vmlinuz-6.1.0-56-amd64")));
 * }</pre>
 */
public final class KernelPayload {
    /** The most a payload may unpack to: kernels are tens of MB; this stops a decompression bomb. */
    public static final int MAX_VMLINUX = 512 << 20;
    /**
     * How many times its own size a payload may unpack to, whatever its compression. Kernels pack
     * 3 to 5 times (Debian's: 2.9 with XZ for i386 6.1, 3.8 with LZ4 for x86-64 6.1, 5.0 with zstd
     * for x86-64 6.12; this library's small test images, mostly padding, about 20): 64 refuses
     * none of them, and keeps a small bzImage from making us write half a gigabyte.
     */
    static final int MAX_RATIO = 64;

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
     * {@return whether {@code bytes} start as a file compressed whole does: gzip, XZ or zstd, the
     * compressions the kernel's build offers for modules ({@code kvm.ko.xz}, {@code .ko.zst},
     * {@code .ko.gz}; Debian's are XZ)}
     * {@link KernelImage#read(byte[])} unpacks such a file before reading the ELF inside.
     *
     * @param bytes a file's bytes
     */
    public static boolean isCompressed(byte[] bytes) {
        return startsWith(bytes, 0x1F, 0x8B) || startsWith(bytes, 0xFD, '7', 'z', 'X', 'Z', 0x00)
                || startsWith(bytes, 0x28, 0xB5, 0x2F, 0xFD);
    }

    /**
     * {@return the ELF file a compressed file holds (a module's {@code .ko.xz}, say)}
     *
     * @param file the whole compressed file: gzip, XZ or zstd, as their own tools write it
     * @throws ImageFormatException if its compression is unknown or corrupt, it unpacks to more
     *     than the payload limits allow, or what it holds is not an ELF file
     */
    public static byte[] unpack(byte[] file) {
        Objects.requireNonNull(file, "file");
        if (!isCompressed(file)) {
            throw new ImageFormatException("not a gzip, XZ or zstd file (first bytes " + hex(file) + ")");
        }
        byte[] elf = decompress(file, KernelPayload::present, false);
        if (elf.length < 4 || elf[0] != 0x7F || elf[1] != 'E' || elf[2] != 'L' || elf[3] != 'F') {
            throw new ImageFormatException("the compressed file (" + file.length + " bytes) unpacked to "
                    + elf.length + " bytes that are not an ELF file (first bytes "
                    + hex(elf) + ")");
        }
        return elf;
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
     * @param payload gzip, LZ4 legacy frame, XZ or zstd bytes
     * @throws ImageFormatException if the format is unknown, unsupported here, or corrupt, or
     *     its optional decoder is not on the class or module path
     */
    public static byte[] decompress(byte[] payload) {
        return decompress(payload, KernelPayload::present, true);
    }

    /** {@return whether class {@code name} can be loaded here} */
    static boolean present(String name) {
        try {
            Class.forName(name, false, KernelPayload.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /**
     * {@link #decompress(byte[])}, with the test of whether an optional decoder's class is
     * present given: the seam through which a test takes a decoder away.
     */
    static byte[] decompress(byte[] payload, java.util.function.Predicate<String> classPresent) {
        return decompress(payload, classPresent, true);
    }

    /**
     * @param trailer whether the bytes end with the kernel's 32-bit unpacked size (a bzImage
     *     payload), or are a file as its compression's own tool writes it (a {@code .ko.zst})
     */
    private static byte[] decompress(byte[] payload, java.util.function.Predicate<String> classPresent,
            boolean trailer) {
        try {
            if (startsWith(payload, 0x1F, 0x8B)) {
                return readAll("gzip", payload.length, new GZIPInputStream(new ByteArrayInputStream(payload)));
            }
            if (startsWith(payload, 0x02, 0x21, 0x4C, 0x18)) {
                return lz4Legacy(payload);
            }
            if (startsWith(payload, 0xFD, '7', 'z', 'X', 'Z', 0x00)) {
                OptionalDecoder.XZ.require(classPresent);
                try {
                    return Xz.decompress(payload);
                } catch (LinkageError e) {
                    throw OptionalDecoder.XZ.missing(e);
                }
            }
            if (startsWith(payload, 0x28, 0xB5, 0x2F, 0xFD)) {
                OptionalDecoder.ZSTD.require(classPresent);
                try {
                    return trailer ? Zstd.decompress(payload) : Zstd.decompressFile(payload);
                } catch (LinkageError e) {
                    throw OptionalDecoder.ZSTD.missing(e);
                }
            }
        } catch (IOException e) {
            throw new ImageFormatException("corrupt kernel payload: " + e.getMessage(), e);
        }
        String format = startsWith(payload, 'B', 'Z', 'h') ? "bzip2"
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
     * reads as a block size with nothing after it and ends the frame. Each block is decoded
     * straight into the output, which never grows past the limit ({@link #outputLimit}).
     */
    static byte[] lz4Legacy(byte[] in) {
        long limit = outputLimit(in.length);
        byte[] out = new byte[(int) Math.min(limit, Math.max(64, 4L * in.length))];
        int written = 0;
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
            // A block unpacks to at most 8 MiB, and to at most 256 bytes per compressed byte (a match
            // grows by 255 per length byte); and the whole output to the limit.
            long most = Math.min(8 << 20, 256 * size + 64);
            long room = Math.min(most, limit - written);
            if (out.length - written < room) {
                out = Arrays.copyOf(out, (int) Math.max(written + room, Math.min(limit, 2L * out.length)));
            }
            int end = lz4Block(in, at, (int) size, out, written, (int) (written + room));
            if (end < 0) {
                if (room < most) {
                    throw tooLarge("LZ4", in.length, "output=0x" + Integer.toHexString(-end - 1), limit);
                }
                throw new ImageFormatException("corrupt LZ4 block at payload offset 0x" + Integer.toHexString(at)
                        + ": it unpacks to more than 0x" + Long.toHexString(most) + " bytes");
            }
            written = end;
            at += (int) size;
        }
        return written == out.length ? out : Arrays.copyOf(out, written);
    }

    /** Decodes one LZ4 block of {@code length} bytes at {@code src[from]} into {@code dst}; {@return its size}. */
    static int lz4Block(byte[] src, int from, int length, byte[] dst) {
        int end = lz4Block(src, from, length, dst, 0, dst.length);
        if (end < 0) {
            throw new ImageFormatException("corrupt LZ4 block: it runs past the output's " + dst.length + " bytes");
        }
        return end;
    }

    /**
     * Decodes one LZ4 block of {@code length} bytes at {@code src[from]} into {@code dst} from
     * {@code base}, writing no further than {@code limit}; its matches reach back no further than
     * {@code base} (the legacy frame's blocks are independent). {@return where its output ends, or
     * {@code -1 - p} when it needs more room than {@code limit}, having written up to {@code p}}
     */
    static int lz4Block(byte[] src, int from, int length, byte[] dst, int base, int limit) {
        int ip = from;
        int end = from + length;
        int op = base;
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
            if (literals > end - ip) {
                throw new ImageFormatException("corrupt LZ4 block: literals run past the block");
            }
            if (literals > limit - op) {
                return -1 - op;
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
            if (offset == 0 || offset > op - base) {
                throw new ImageFormatException("corrupt LZ4 block: match offset " + offset + " at output "
                        + (op - base));
            }
            if (match > limit - op) {
                return -1 - op;
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

    /** {@return the most a payload of {@code inputLength} bytes may unpack to: {@link #MAX_RATIO} times, and {@link #MAX_VMLINUX}} */
    static long outputLimit(int inputLength) {
        return Math.min(MAX_VMLINUX, (long) MAX_RATIO * inputLength);
    }

    /** {@return the refusal of a payload that unpacks to more than {@code limit} bytes, with the facts} */
    private static ImageFormatException tooLarge(String compression, int input, String output, long limit) {
        return new ImageFormatException("compression=" + compression + " input=0x" + Integer.toHexString(input) + " "
                + output + " limit=0x" + Long.toHexString(limit) + ": the payload unpacks to more than "
                + (limit == MAX_VMLINUX ? MAX_VMLINUX + " bytes" : MAX_RATIO + " times its " + input + " bytes")
                + " (kernels pack 3 to 5 times): corrupt, or a decompression bomb");
    }

    /** Reads {@code in} to its end, stopping one byte past the limit: no more is ever unpacked. */
    private static byte[] readAll(String compression, int inputLength, InputStream in) throws IOException {
        long limit = outputLimit(inputLength);
        try (InputStream s = in) {
            byte[] out = s.readNBytes((int) limit + 1);
            if (out.length > limit) {
                throw tooLarge(compression, inputLength, "output=0x" + Integer.toHexString(out.length), limit);
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

    /** The optional decoders: which class proves one is there, and what to add when it is not. */
    private enum OptionalDecoder {
        XZ("XZ", "org.tukaani.xz.SingleXZInputStream", "org.tukaani:xz", "org.tukaani.xz"),
        ZSTD("zstd", "com.github.luben.zstd.Zstd", "com.github.luben:zstd-jni", "com.github.luben.zstd_jni");

        private final String format;
        private final String probe;
        private final String artifact;
        private final String module;

        OptionalDecoder(String format, String probe, String artifact, String module) {
            this.format = format;
            this.probe = probe;
            this.artifact = artifact;
            this.module = module;
        }

        void require(java.util.function.Predicate<String> classPresent) {
            if (!classPresent.test(probe)) {
                throw missing(null);
            }
        }

        ImageFormatException missing(Throwable cause) {
            String m = "the kernel payload is " + format + ", whose decoder is not here: put the Maven artifact "
                    + artifact + " on the class path, or on the module path with --add-modules " + module
                    + " (module " + module + "); the pvpatch command's jar carries it"
                    + (cause == null ? "" : " (" + cause + ")");
            return cause == null ? new ImageFormatException(m) : new ImageFormatException(m, cause);
        }
    }

    /** XZ through org.tukaani.xz, loaded only when an XZ payload is met (an optional dependency). */
    private static final class Xz {
        /** The most memory the XZ decoder may use, in KiB: a 32 MiB dictionary and then some. */
        private static final int XZ_MEMORY_KIB = 64 << 10;

        static byte[] decompress(byte[] payload) throws IOException {
            // One stream only: the kernel appends its uncompressed size after the XZ stream.
            // The memory limit refuses a header asking for a huge dictionary (up to 4 GiB from a few
            // bytes) before it is allocated; the kernel's xz_wrap.sh uses 32 MiB.
            return readAll("XZ", payload.length, new org.tukaani.xz.SingleXZInputStream(new ByteArrayInputStream(payload),
                    XZ_MEMORY_KIB));
        }
    }

    /**
     * zstd through zstd-jni, loaded only when a zstd payload is met. The kernel appends the
     * uncompressed size (32-bit little-endian) after the frame; it sizes the output, and a
     * one-shot decode into it needs no window buffer.
     */
    private static final class Zstd {
        /** A file as zstd writes it: one or more frames, no trailer, the size in the frame header or none. */
        static byte[] decompressFile(byte[] file) throws IOException {
            try {
                return readAll("zstd", file.length, new com.github.luben.zstd.ZstdInputStream(
                        new ByteArrayInputStream(file)));
            } catch (com.github.luben.zstd.ZstdIOException e) {
                throw new ImageFormatException("corrupt zstd payload: " + e.getMessage(), e);
            }
        }

        static byte[] decompress(byte[] payload) {
            if (payload.length < 8) {
                throw new ImageFormatException("corrupt zstd payload: " + payload.length + " bytes");
            }
            long size = u32(payload, payload.length - 4);
            // The trailer is four bytes anyone can write: no output buffer larger than the frame
            // could plausibly fill (a kernel packs about 5:1; allow far more) is allocated for it.
            long limit = outputLimit(payload.length);
            if (size > limit) {
                throw tooLarge("zstd", payload.length, "claimed=0x" + Long.toHexString(size) + " (its trailer)", limit);
            }
            byte[] out = new byte[(int) size];
            long n;
            try {
                n = com.github.luben.zstd.Zstd.decompressByteArray(out, 0, out.length, payload, 0, payload.length - 4);
            } catch (RuntimeException e) {   // ZstdException: the frame is corrupt, or larger than the trailer says
                throw new ImageFormatException("corrupt zstd payload: " + e.getMessage(), e);
            }
            if (com.github.luben.zstd.Zstd.isError(n)) {
                throw new ImageFormatException("corrupt zstd payload: " + com.github.luben.zstd.Zstd.getErrorName(n));
            }
            if (n != out.length) {
                throw new ImageFormatException("the zstd payload unpacked to " + n + " bytes, not the " + size
                        + " its trailer says");
            }
            return out;
        }
    }
}
