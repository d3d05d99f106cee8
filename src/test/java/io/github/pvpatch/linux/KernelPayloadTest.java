package io.github.pvpatch.linux;

import static io.github.pvpatch.testing.Images.bzImage;
import static io.github.pvpatch.testing.Images.le32;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** vmlinuz in, vmlinux out: the bzImage header and each payload format pvpatch reads. */
class KernelPayloadTest {
    @TempDir
    Path dir;

    private static byte[] elf() throws IOException {
        return KernelImageTest.image("pvsample-x86_64");
    }

    @Test
    void gzipPayloadsUnpackAndTheImageReads() throws IOException {
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(elf());
        }
        byte[] vmlinuz = bzImage(gz.toByteArray());
        assertTrue(KernelPayload.isBzImage(vmlinuz));
        assertArrayEquals(elf(), KernelPayload.extract(vmlinuz));
        KernelImage k = KernelImage.read(vmlinuz);
        assertTrue(k.wasUnpacked());
        assertEquals(9, k.sites().size());
    }

    @Test
    void aModuleCompressedWholeReadsAsTheModuleItHolds() throws IOException {
        // As distributions ship modules: kvm.ko.xz (Debian), .ko.zst, .ko.gz; no kernel size trailer.
        byte[] ko = KernelImageTest.image("pvsample-x86_64-module.o");
        KernelImage plain = KernelImage.read(ko);
        assertFalse(plain.wasUnpacked());
        assertFalse(KernelPayload.isCompressed(ko));
        for (byte[] packed : List.of(io.github.pvpatch.testing.Images.gzip(ko), io.github.pvpatch.testing.Images.xz(ko),
                com.github.luben.zstd.Zstd.compress(ko))) {
            assertTrue(KernelPayload.isCompressed(packed));
            assertFalse(KernelPayload.isBzImage(packed));
            assertArrayEquals(ko, KernelPayload.unpack(packed));
            KernelImage k = KernelImage.read(packed);
            assertTrue(k.wasUnpacked());
            assertTrue(k.elf().isRelocatable());
            assertEquals(plain.sites(), k.sites());
        }
        // Compressed, but not an ELF inside; and not compressed at all.
        ImageFormatException text = assertThrows(ImageFormatException.class, () -> KernelImage.read(
                io.github.pvpatch.testing.Images.gzip("not a module\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))));
        assertTrue(text.getMessage().startsWith("the compressed file (") && text.getMessage().contains(
                "unpacked to 13 bytes that are not an ELF file (first bytes 6e 6f 74 20 61 20)"), text.getMessage());
        ImageFormatException plainFile = assertThrows(ImageFormatException.class, () -> KernelPayload.unpack(ko));
        assertTrue(plainFile.getMessage().startsWith("not a gzip, XZ or zstd file (first bytes 7f 45 4c 46"),
                plainFile.getMessage());
        // A .ko.zst's frames carry no trailer, and the frame is bounded like any payload.
        byte[] bomb = com.github.luben.zstd.Zstd.compress(new byte[8 << 20]);
        ImageFormatException big = assertThrows(ImageFormatException.class, () -> KernelPayload.unpack(bomb));
        assertTrue(big.getMessage().startsWith("compression=zstd input=0x"), big.getMessage());
    }

    @Test
    void xzPayloadsUnpackWithTheX86Filter() throws IOException {
        ByteArrayOutputStream xz = new ByteArrayOutputStream();
        // As the kernel's xz_wrap.sh: the x86 BCJ filter, then LZMA2, CRC32 check.
        org.tukaani.xz.FilterOptions[] filters = {new org.tukaani.xz.X86Options(), new org.tukaani.xz.LZMA2Options()};
        try (org.tukaani.xz.XZOutputStream out = new org.tukaani.xz.XZOutputStream(xz, filters,
                org.tukaani.xz.XZ.CHECK_CRC32)) {
            out.write(elf());
        }
        byte[] payload = xz.toByteArray();
        // The kernel appends the uncompressed size after the stream; reading stops at the stream's end.
        byte[] withSize = java.util.Arrays.copyOf(payload, payload.length + 4);
        assertArrayEquals(elf(), KernelPayload.extract(bzImage(withSize)));
    }

    @Test
    void lz4LegacyPayloadsFromTheLz4ToolUnpack() throws IOException, InterruptedException {
        Path in = dir.resolve("vmlinux");
        Files.write(in, elf());
        Process p;
        try {
            p = new ProcessBuilder("lz4", "-l", "-9", "-f", in.toString(), dir.resolve("v.lz4").toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "no lz4 tool: " + e.getMessage());
            return;
        }
        p.getInputStream().readAllBytes();
        assertEquals(0, p.waitFor());
        byte[] lz4 = Files.readAllBytes(dir.resolve("v.lz4"));
        assertEquals(0x02, lz4[0]);
        assertArrayEquals(elf(), KernelPayload.extract(bzImage(lz4)));
    }

    @Test
    void lz4BlocksWithLongLiteralsAndOverlappingMatches() {
        // 20 literals 'a'..'t' (token 15 + extension 5), then a match of 30 at offset 1: 30 more 't's.
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(0xF0 | 15);   // literals 15+, match 15+4+
        b.write(5);
        for (int i = 0; i < 20; i++) {
            b.write('a' + i);
        }
        b.write(1);
        b.write(0);           // offset 1: repeat the last byte
        b.write(30 - 19);     // match length 15 + 4 + 11 = 30
        b.write(0x30);        // final sequence: 3 literals, no match
        b.write('x');
        b.write('y');
        b.write('z');
        byte[] block = b.toByteArray();
        byte[] out = new byte[64];
        int n = KernelPayload.lz4Block(block, 0, block.length, out);
        assertEquals("abcdefghijklmnopqrst" + "t".repeat(30) + "xyz", new String(out, 0, n,
                java.nio.charset.StandardCharsets.ISO_8859_1));
        // Corrupt: a match reaching before the start of the output.
        byte[] bad = {0x10, 'a', 5, 0, 0x00};
        assertThrows(ImageFormatException.class, () -> KernelPayload.lz4Block(bad, 0, bad.length, new byte[64]));
        byte[] cut = {(byte) 0xF0};
        assertThrows(ImageFormatException.class, () -> KernelPayload.lz4Block(cut, 0, cut.length, new byte[64]));
    }

    @Test
    void unsupportedAndBrokenPayloadsSaySo() {
        ImageFormatException zstd = assertThrows(ImageFormatException.class,
                () -> KernelPayload.extract(bzImage(new byte[] {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD, 0, 0})));
        assertTrue(zstd.getMessage().contains("corrupt zstd payload"), zstd.getMessage());
        byte[] frame = com.github.luben.zstd.Zstd.compress(new byte[100]);
        byte[] wrongSize = java.util.Arrays.copyOf(frame, frame.length + 4);
        le32(wrongSize, frame.length, 99);   // the trailer says 99 bytes; the frame holds 100
        assertTrue(assertThrows(ImageFormatException.class, () -> KernelPayload.decompress(wrongSize)).getMessage()
                .contains("corrupt zstd payload"));
        byte[] bomb = java.util.Arrays.copyOf(frame, frame.length + 4);
        le32(bomb, frame.length, -1);
        assertTrue(assertThrows(ImageFormatException.class, () -> KernelPayload.decompress(bomb)).getMessage()
                .contains("more than"));
        ImageFormatException unknown = assertThrows(ImageFormatException.class,
                () -> KernelPayload.extract(bzImage(new byte[] {1, 2, 3, 4, 5, 6})));
        assertTrue(unknown.getMessage().contains("compression is unknown (first bytes 01 02 03 04 05 06)"),
                unknown.getMessage());
        byte[] truncated = bzImage(new byte[] {0x1F, (byte) 0x8B, 8, 0});
        assertTrue(assertThrows(ImageFormatException.class, () -> KernelPayload.extract(truncated)).getMessage()
                .contains("corrupt kernel payload"));
        byte[] lies = bzImage(new byte[16]);
        le32(lies, 0x24C, 1 << 30);
        assertTrue(assertThrows(ImageFormatException.class, () -> KernelPayload.extract(lies)).getMessage()
                .contains("runs past the end of the file"));
        assertFalse(KernelPayload.isBzImage(new byte[10]));
        assertThrows(ImageFormatException.class, () -> KernelPayload.extract(new byte[0x300]));
    }

    @Test
    void zstdPayloadsUnpackWithTheKernelsSizeTrailerAndItsLargeWindow() {
        byte[] elf = new byte[3 << 20];
        new java.util.Random(9).nextBytes(elf);
        System.arraycopy(elf, 0, elf, 2 << 20, 1 << 20);   // a match 2 MB back
        elf[0] = 0x7F;
        elf[1] = 'E';
        elf[2] = 'L';
        elf[3] = 'F';
        byte[] frame;
        // As the kernel's Makefile: zstd -22 --ultra (a 128 MB window, more than the pure-Java
        // decoders take), then the uncompressed size appended.
        try (com.github.luben.zstd.ZstdCompressCtx c = new com.github.luben.zstd.ZstdCompressCtx()) {
            c.setLevel(19);
            c.setLong(27);
            frame = c.compress(elf);
        }
        byte[] payload = java.util.Arrays.copyOf(frame, frame.length + 4);
        le32(payload, frame.length, elf.length);
        assertArrayEquals(elf, KernelPayload.extract(bzImage(payload)));
    }

    @Test
    void aMissingOptionalDecoderIsAnImageFormatExceptionNamingTheRemedy() throws IOException {
        byte[] zstd = {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD, 0, 0, 0, 0, 0};
        byte[] xz = {(byte) 0xFD, '7', 'z', 'X', 'Z', 0, 0, 0};
        // The seam takes the decoder's class away, as a class path without the jar would.
        ImageFormatException z = assertThrows(ImageFormatException.class,
                () -> KernelPayload.decompress(zstd, name -> false));
        assertTrue(z.getMessage().contains("com.github.luben:zstd-jni"), z.getMessage());
        assertTrue(z.getMessage().contains("--add-modules com.github.luben.zstd_jni"), z.getMessage());
        ImageFormatException x = assertThrows(ImageFormatException.class,
                () -> KernelPayload.decompress(xz, name -> false));
        assertTrue(x.getMessage().contains("org.tukaani:xz"), x.getMessage());
        assertTrue(x.getMessage().contains("--add-modules org.tukaani.xz"), x.getMessage());
        // The seam asks about the classes the decoders use; with them present, the payload is read.
        java.util.Set<String> asked = new java.util.HashSet<>();
        assertThrows(ImageFormatException.class, () -> KernelPayload.decompress(zstd, n -> asked.add(n) || true));
        assertTrue(asked.stream().allMatch(KernelPayload::present), asked.toString());
        assertFalse(KernelPayload.present("org.example.NoSuchDecoder"));
        // A real class loader without the jars: the library's classes alone, XZ and zstd-jni left out.
        java.net.URL classes = Path.of("target/classes").toUri().toURL();
        try (java.net.URLClassLoader bare = new java.net.URLClassLoader(new java.net.URL[] {classes},
                null)) {   // the boot loader as parent: the platform loader would find the modules of the test run
            Class<?> c = Class.forName(KernelPayload.class.getName(), true, bare);
            assertEquals(bare, c.getClassLoader());
            java.lang.reflect.Method m = c.getMethod("decompress", byte[].class);
            for (byte[] payload : List.of(zstd, xz)) {
                java.lang.reflect.InvocationTargetException e = assertThrows(
                        java.lang.reflect.InvocationTargetException.class, () -> m.invoke(null, (Object) payload));
                assertEquals(ImageFormatException.class.getName(), e.getCause().getClass().getName(), e.getCause()
                        .toString());
                assertTrue(e.getCause().getMessage().contains("--add-modules"), e.getCause().getMessage());
            }
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
    }

    /** An LZ4 legacy frame of {@code blocks} blocks, each a literal and one match of about 8 MB: 255 bytes out per byte in. */
    private static byte[] lz4Bomb(int blocks) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {0x02, 0x21, 0x4C, 0x18});
        byte[] block = new byte[4 + 32000 + 1];
        block[0] = 0x1F;   // one literal, a match of 15 + 4 + the extension
        block[2] = 1;      // offset 1: repeat the literal
        java.util.Arrays.fill(block, 4, 4 + 32000, (byte) 255);
        for (int b = 0; b < blocks; b++) {
            byte[] size = new byte[4];
            le32(size, 0, block.length);
            out.writeBytes(size);
            out.writeBytes(block);
        }
        return out.toByteArray();
    }

    @Test
    void payloadsUnpackingToFarMoreThanAKernelPacksAreRefusedWhileUnpacking() throws IOException {
        // 96 MB of zeros: under the 512 MB cap, but from a few KB (gzip, xz) or 384 KB (LZ4, 255:1 at most).
        byte[] zeros = new byte[96 << 20];
        ByteArrayOutputStream xz = new ByteArrayOutputStream();
        try (org.tukaani.xz.XZOutputStream out = new org.tukaani.xz.XZOutputStream(xz,
                new org.tukaani.xz.LZMA2Options(0))) {
            out.write(zeros);
        }
        java.util.Map<String, byte[]> bombs = new java.util.LinkedHashMap<>();
        bombs.put("gzip", io.github.pvpatch.testing.Images.gzip(zeros));
        bombs.put("XZ", xz.toByteArray());
        bombs.put("LZ4", lz4Bomb(12));
        zeros = null;
        for (java.util.Map.Entry<String, byte[]> b : bombs.entrySet()) {
            byte[] payload = b.getValue();
            long limit = 64L * payload.length;
            long before = FuzzFindingsTest.allocated();
            ImageFormatException e = assertThrows(ImageFormatException.class, () -> KernelPayload.decompress(payload),
                    b.getKey());
            long used = FuzzFindingsTest.allocated() - before;
            // The output stops at the limit: what it holds then, and the decoder's own buffers, not 96 MB.
            assertTrue(used < 4 * limit + (16 << 20), b.getKey() + ": allocated " + (used >> 20) + " MB to refuse "
                    + payload.length + " bytes: " + e.getMessage());
            String facts = "compression=" + b.getKey() + " input=0x" + Long.toHexString(payload.length) + " output=0x";
            assertTrue(e.getMessage().startsWith(facts), e.getMessage());
            assertTrue(e.getMessage().contains(" limit=0x" + Long.toHexString(limit) + ": "), e.getMessage());
            assertTrue(e.getMessage().contains("more than 64 times its " + payload.length + " bytes"), e.getMessage());
        }
    }

    @Test
    void aPayloadPackedAsTightlyAsTheLimitAllowsStillUnpacks() {
        // 16 bytes in, 1024 out (64 times): one LZ4 block of a literal and a match of 15 + 4 + 3 * 255 + 239.
        byte[] frame = {0x02, 0x21, 0x4C, 0x18, 8, 0, 0, 0, 0x1F, 7, 1, 0, (byte) 255, (byte) 255, (byte) 255,
            (byte) 239};
        byte[] out = KernelPayload.decompress(frame);
        assertEquals(64 * frame.length, out.length);
        assertTrue(java.util.stream.IntStream.range(0, out.length).allMatch(i -> out[i] == 7));
        byte[] more = frame.clone();
        more[15]++;   // one byte more
        ImageFormatException e = assertThrows(ImageFormatException.class, () -> KernelPayload.decompress(more));
        assertTrue(e.getMessage().startsWith("compression=LZ4 input=0x10 output=0x"), e.getMessage());
        assertTrue(e.getMessage().contains(" limit=0x400: "), e.getMessage());
    }
}
