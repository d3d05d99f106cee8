package io.github.pvpatch.outside;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README: without XZ for Java, an XZ payload "is an {@code ImageFormatException} that names
 * what to add". Run as a user of the main jar would: a child JVM with pvpatch's classes only.
 */
class MissingXzTest {
    @TempDir
    Path dir;

    /** A bzImage by the boot protocol: setup sectors, HdrS at 0x202, payload offset and length at 0x248. */
    private static byte[] bzImage(byte[] payload) {
        int start = 2 * 512;
        byte[] b = new byte[start + 0x10 + payload.length + 4];
        b[0x1F1] = 1;
        b[0x202] = 'H';
        b[0x203] = 'd';
        b[0x204] = 'r';
        b[0x205] = 'S';
        for (int i = 0; i < 4; i++) {
            b[0x248 + i] = (byte) (0x10 >>> (8 * i));
            b[0x24C + i] = (byte) (payload.length >>> (8 * i));
        }
        System.arraycopy(payload, 0, b, start + 0x10, payload.length);
        return b;
    }

    @Test
    void anXzKernelWithoutXzIsOneLineNamingTheRemedy() throws IOException, InterruptedException {
        ByteArrayOutputStream xz = new ByteArrayOutputStream();
        try (org.tukaani.xz.XZOutputStream out = new org.tukaani.xz.XZOutputStream(xz, new org.tukaani.xz.LZMA2Options(0))) {
            out.write(Files.readAllBytes(Path.of("target/test-images/pvsample-i386")));
        }
        Path image = dir.resolve("vmlinuz-xz");
        Files.write(image, bzImage(xz.toByteArray()));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", "target/classes", "io.github.pvpatch.cli.Main", "sites", image.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(1, p.exitValue(), err);
        assertFalse(err.contains("Exception in thread") || err.contains("\tat "), err);
        assertTrue(err.contains("org.tukaani:xz") || err.contains("org.tukaani.xz"), err);
    }
}
