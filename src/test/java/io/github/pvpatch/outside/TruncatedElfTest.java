package io.github.pvpatch.outside;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.linux.ElfFile;
import io.github.pvpatch.linux.ImageFormatException;
import io.github.pvpatch.linux.KernelImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Every prefix of a real ELF file is an {@link ImageFormatException} whose message is true:
 * a file that starts with the ELF magic is never told it does not.
 */
class TruncatedElfTest {
    @Test
    void everyShortPrefixOfAnElfIsCalledTruncatedNotNonElf() throws IOException {
        for (String name : new String[] {"pvsample-x86_64", "pvsample-i386"}) {
            byte[] elf = Files.readAllBytes(Path.of("target/test-images", name));
            for (int n = 0; n < 256; n++) {
                byte[] prefix = Arrays.copyOf(elf, n);
                ImageFormatException e = assertThrows(ImageFormatException.class, () -> ElfFile.parse(prefix), name + " " + n);
                String m = e.getMessage();
                if (n >= 4) {
                    assertTrue(!m.contains("not 7f 45 4c 46"), name + " cut to " + n + " bytes starts with the magic: " + m);
                    assertTrue(m.contains("truncated?"), name + " cut to " + n + ": " + m);
                } else {
                    assertTrue(m.contains("not an ELF file"), m);
                }
                assertThrows(ImageFormatException.class, () -> KernelImage.read(prefix));
            }
            assertEquals("ELF header at file offset 0x0 size 0x34 runs past the end of the file (0x28 bytes): truncated?",
                    assertThrows(ImageFormatException.class, () -> ElfFile.parse(Arrays.copyOf(elf, 40))).getMessage());
        }
    }
}
