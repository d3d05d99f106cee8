package io.github.pvpatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fuzzer has teeth: run against deliberately broken copies of the importer's parser routines
 * (each one bounds check removed), or a target that hangs or hoards memory, it reports
 * unexpected outcomes; against the real importer, none (see {@link ImporterFuzzTest}).
 */
class ImporterFuzzTeethTest {
    private static final int INPUTS = 5000;

    @TempDir
    Path dir;

    private static long read(byte[] b, long at, int width) {
        long v = 0;
        for (int i = width - 1; i >= 0; i--) {
            v = v << 8 | (b[(int) (at + i)] & 0xFF);   // no bounds check: that is the point
        }
        return v;
    }

    /**
     * ElfFile's section-header walk with its check of the table against the file's length
     * removed: it reads each header's name and the name's first byte where the header says.
     */
    static void sectionHeadersUnchecked(byte[] b) {
        if (b.length < 64 || b[0] != 0x7F || b[1] != 'E' || b[4] < 1 || b[4] > 2) {
            return;
        }
        boolean is64 = b[4] == 2;
        long shoff = read(b, is64 ? 40 : 32, is64 ? 8 : 4);
        int shentsize = (int) read(b, is64 ? 58 : 46, 2);
        int shnum = (int) read(b, is64 ? 60 : 48, 2);
        // The real reader: check(shoff, shentsize * shnum, "section header table") -- removed.
        for (int i = 0; i < shnum; i++) {
            read(b, shoff + (long) i * shentsize, 4);
        }
    }

    /**
     * ElfFile's symbol-name lookup with its check of the name's index against the string table's
     * size removed (the section headers are parsed by the real, checked reader).
     */
    static void symbolNamesUnchecked(byte[] b) {
        io.github.pvpatch.linux.ElfFile elf;
        try {
            elf = io.github.pvpatch.linux.ElfFile.parse(b);
        } catch (io.github.pvpatch.linux.ImageFormatException e) {
            return;
        }
        for (io.github.pvpatch.linux.ElfFile.Section s : elf.sections()) {
            if (s.type() == io.github.pvpatch.linux.ElfFile.SHT_SYMTAB && s.link() < elf.sections().size()) {
                int entry = elf.is64() ? 24 : 16;
                long strtab = elf.sections().get(s.link()).offset();
                for (long at = s.offset(); at + entry <= s.offset() + s.size(); at += entry) {
                    // The real reader: if (index < 0 || index >= tableSize) throw -- removed.
                    read(b, strtab + read(b, at, 4), 1);
                }
            }
        }
    }

    /** The LZ4 block decoder with its check of literal runs against the block's end removed. */
    static void lz4Unchecked(byte[] b) {
        if (!io.github.pvpatch.linux.KernelPayload.isBzImage(b) || b.length < 0x250) {
            return;
        }
        int from = (int) (((b[0x1F1] & 0xFF) + 1) * 512 + read(b, 0x248, 4));
        if (from < 0 || from + 8 > b.length || (b[from] & 0xFF) != 0x02 || (b[from + 1] & 0xFF) != 0x21) {
            return;
        }
        int ip = from + 8;   // magic, block size, then the first block's first token
        int token = b[ip++] & 0xFF;
        int literals = token >>> 4;
        if (literals == 15) {
            int x;
            do {
                x = b[ip++] & 0xFF;
                literals += x;
            } while (x == 255);
        }
        // The real decoder: if (literals > end - ip || ...) throw -- removed.
        System.arraycopy(b, ip, new byte[1 << 16], 0, Math.min(literals, 1 << 16));
    }

    /** The broken routine first, then the real library and command, as the build's fuzz runs them. */
    private ImporterFuzzer.Result fuzz(long seed, ImporterFuzzer.Target broken) throws java.io.IOException {
        ImporterFuzzer.Importer real = new ImporterFuzzer.Importer(dir);
        ImporterFuzzer f = new ImporterFuzzer(ImporterFuzzTest.seeds(), seed, ImporterFuzzTest.TIME_BOUND_MILLIS,
                ImporterFuzzTest.MEMORY_BOUND);
        int[] n = new int[1];
        return f.run(INPUTS, in -> {
            broken.run(in);
            if (n[0]++ % 10 == 0) {
                real.run(in);   // a sample only: the real importer is the other test's job
            }
        });
    }

    @Test
    void aRemovedSectionHeaderCheckIsCaught() throws Exception {
        ImporterFuzzer.Result r = fuzz(1, ImporterFuzzTeethTest::sectionHeadersUnchecked);
        System.out.printf("importer fuzz teeth: section headers unchecked: %d of %d inputs unexpected%n",
                r.unexpected(), r.inputs());
        assertTrue(r.unexpected() > 0, "the fuzzer missed a section header table past the end of the file");
        assertTrue(r.failures().get(0).contains("IndexOutOfBoundsException"), r.failures().get(0));
    }

    @Test
    void aRemovedSymbolNameCheckIsCaught() throws Exception {
        ImporterFuzzer.Result r = fuzz(2, ImporterFuzzTeethTest::symbolNamesUnchecked);
        System.out.printf("importer fuzz teeth: symbol names unchecked: %d of %d inputs unexpected%n",
                r.unexpected(), r.inputs());
        assertTrue(r.unexpected() > 0, "the fuzzer missed a symbol name outside its string table");
        assertTrue(r.failures().get(0).contains("IndexOutOfBoundsException"), r.failures().get(0));
    }

    @Test
    void aRemovedLz4LiteralCheckIsCaught() throws Exception {
        ImporterFuzzer.Result r = fuzz(3, ImporterFuzzTeethTest::lz4Unchecked);
        System.out.printf("importer fuzz teeth: LZ4 literals unchecked: %d of %d inputs unexpected%n",
                r.unexpected(), r.inputs());
        assertTrue(r.unexpected() > 0, "the fuzzer missed an LZ4 literal run past the end of its block");
        assertTrue(r.failures().get(0).contains("IndexOutOfBoundsException"), r.failures().get(0));
    }

    @Test
    void aHangOrAHoardIsCaught() throws Exception {
        ImporterFuzzer f = new ImporterFuzzer(ImporterFuzzTest.seeds(), 4, 200, 32L << 20);
        int[] calls = new int[1];
        ImporterFuzzer.Result hang = f.run(6, in -> {
            if (calls[0]++ % 2 == 0) {
                Thread.sleep(60_000);   // interrupted when the fuzzer gives up on it
            }
        });
        assertEquals(3, hang.unexpected());
        assertTrue(hang.failures().get(0).contains("took more than 200 ms"), hang.failures().get(0));
        byte[][] keep = new byte[1][];
        ImporterFuzzer.Result hoard = f.run(5, in -> keep[0] = new byte[48 << 20]);
        assertEquals(5, hoard.unexpected());
        assertTrue(hoard.failures().get(0).contains("over the bound of 32 MB"), hoard.failures().get(0));
        ImporterFuzzer.Result thrown = f.run(5, in -> {
            throw new IllegalArgumentException("not an ImageFormatException");
        });
        assertEquals(5, thrown.unexpected());
    }
}
