package io.github.pvpatch.zydis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.x86.Encodings;
import io.github.pvpatch.x86.IndirectForm;
import io.github.pvpatch.x86.NopTable;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every encoding pvpatch emits, laid end to end, decoded by our Zydis binding and by GNU
 * {@code objdump} (an independent decoder): both must find the same instruction boundaries and
 * the same branch targets, and every piece must start on a boundary.
 */
class ObjdumpCrossCheckTest {
    private static final long BASE = 0x40_0000L;
    private static final Pattern LINE = Pattern.compile("^\\s*([0-9a-f]+):\\t([0-9a-f ]+)\\t(\\S+)\\s*(.*)$");

    @TempDir
    Path dir;

    /** Every NOP entry, push and pop, rel32 branch, indirect form and kernel native sequence of {@code isa}. */
    static byte[] everything(Isa isa, List<Integer> pieceStarts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (NopTable t : NopTable.values()) {
            if (t.supports(isa)) {
                for (int n = 1; n <= t.maxLength(isa); n++) {
                    piece(out, pieceStarts, t.nop(n, isa));
                }
            }
        }
        for (Register r : Register.values()) {
            if (r.isIn(isa)) {
                byte[] b = new byte[2];
                piece(out, pieceStarts, java.util.Arrays.copyOf(b, Encodings.putPush(b, 0, r)));
                piece(out, pieceStarts, java.util.Arrays.copyOf(b, Encodings.putPop(b, 0, r)));
            }
        }
        byte[] saves = new byte[64];
        int all = ClobberSet.all(isa).bits();
        piece(out, pieceStarts, java.util.Arrays.copyOf(saves, Encodings.putSaves(saves, 0, isa, all)));
        piece(out, pieceStarts, java.util.Arrays.copyOf(saves, Encodings.putRestores(saves, 0, isa, all)));
        for (long delta : new long[] {0x1000, -0x1000, 0x7000_0000L, -0x7000_0000L}) {
            byte[] b = new byte[5];
            long at = BASE + out.size();
            Encodings.putCallRel32(b, 0, isa, at, target(isa, at + delta));
            piece(out, pieceStarts, b);
            b = new byte[5];
            at = BASE + out.size();
            Encodings.putJmpRel32(b, 0, isa, at, target(isa, at + delta));
            piece(out, pieceStarts, b);
        }
        for (IndirectForm f : IndirectForm.values()) {
            if (f.isa() == isa) {
                byte[] b = new byte[f.length()];
                long at = BASE + out.size();
                f.encode(b, 0, at, isa == Isa.X86_32 ? 0xc0400010L : f.isRipRelative() ? at + 0x2000 : -0x7e00_0000L);
                piece(out, pieceStarts, b);
            }
        }
        String natives = isa == Isa.X86_32
                ? "fa fb 9c58 509d 9c58fa cf fb0f35 0f20d0 0f20d8 0f22d8 0f06 0f31 c60000"
                : "fa fb 9c58 579d 0f20d0 0f20d8 0f22df 0f013f 0f06 0f09 0f01f8 0f01f8480f07 0f01f80f07 89f8 4889f8"
                        + " c60700 31c0";
        for (String n : natives.split(" ")) {
            piece(out, pieceStarts, HexFormat.of().parseHex(n));
        }
        return out.toByteArray();
    }

    private static long target(Isa isa, long t) {
        return isa == Isa.X86_32 ? t & 0xFFFF_FFFFL : t;
    }

    private static void piece(ByteArrayOutputStream out, List<Integer> starts, byte[] b) {
        starts.add(out.size());
        out.writeBytes(b);
    }

    /** {@return offset to "mnemonic operands" of each instruction objdump finds} */
    private Map<Integer, String> objdump(Isa isa, byte[] code) throws IOException, InterruptedException {
        Path file = dir.resolve("code.bin");
        Files.write(file, code);
        Process p;
        try {
            p = new ProcessBuilder("objdump", "-D", "-b", "binary", "-m", isa == Isa.X86_32 ? "i386" : "i386:x86-64",
                    "--insn-width=16", "--adjust-vma=0x" + Long.toHexString(BASE), file.toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "objdump is not installed: " + e.getMessage());
            throw e;
        }
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), text);
        Map<Integer, String> found = new TreeMap<>();
        for (String line : text.split("\n")) {
            Matcher m = LINE.matcher(line);
            if (m.matches()) {
                found.put((int) (Long.parseLong(m.group(1), 16) - BASE), m.group(3) + " " + m.group(4));
            }
        }
        return found;
    }

    @ParameterizedTest
    @EnumSource(Isa.class)
    void zydisAndObjdumpAgreeOnEveryEncodingWeEmit(Isa isa) throws Exception {
        List<Integer> pieces = new ArrayList<>();
        byte[] code = everything(isa, pieces);
        Map<Integer, String> gnu = objdump(isa, code);
        ZydisDecoder zydis = ZydisDecoder.of(isa == Isa.X86_32 ? MachineMode.X86_32 : MachineMode.X86_64);
        DecodedBuffer ours = zydis.decodeAll(code, 0, code.length, BASE);
        Map<Integer, String> zydisStarts = new TreeMap<>();
        for (int i = 0; i < ours.count(); i++) {
            assertTrue(ours.isValid(i), "zydis: invalid byte at offset " + ours.offset(i));
            zydisStarts.put(ours.offset(i), ours.mnemonic(i));
            if (ours.hasBranchTarget(i)) {
                String g = gnu.get(ours.offset(i));
                assertTrue(g != null && g.contains("0x" + Long.toHexString(ours.branchTarget(i))),
                        "branch at " + ours.offset(i) + ": objdump says " + g + ", zydis 0x"
                                + Long.toHexString(ours.branchTarget(i)));
            }
        }
        assertEquals(gnu.keySet(), zydisStarts.keySet(), "instruction boundaries");
        for (int start : pieces) {
            assertTrue(zydisStarts.containsKey(start), "a piece starting at " + start + " is mid-instruction");
        }
    }
}
