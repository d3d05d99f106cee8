package io.github.pvpatch.outside;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.x86.NopTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * A batch of call sites as a user would build it from the README: canonical unpatched sites
 * ({@link UnpatchedForm}) 0x40 apart in a buffer of {@code int3} filler, and an ops table of
 * NOPs, well-known native instructions and direct calls. Drawn from one seed, so a failure
 * names its seed.
 */
record Sites(long seed, Isa isa, long base, byte[] ram, UnpatchedForm form, List<PatchSite> sites, OpsTable ops) {
    static final int SPACING = 0x40;

    CodeBuffer code() {
        return CodeBuffer.wrap(ram, base);
    }

    int offset(PatchSite s) {
        return (int) (s.address() - base);
    }

    byte[] at(PatchSite s) {
        return Arrays.copyOfRange(ram, offset(s), offset(s) + s.length());
    }

    /** Native code that clobbers nothing or only rax/eax, by the manuals. */
    private static final String[][] NATIVE = {
        {"fa", ""}, {"fb", ""}, {"90", ""}, {"9c 58", "a"}, {"31 c0", "a"}, {"f4", ""},
    };

    static Sites draw(long seed) {
        Random r = new Random(seed);
        Isa isa = r.nextBoolean() ? Isa.X86_64 : Isa.X86_32;
        long base = isa == Isa.X86_64 ? 0x10000000L : 0x08000000L;
        UnpatchedForm form = UnpatchedForm.of(isa, base + 0x100000L);
        int n = 1 + r.nextInt(4);
        byte[] ram = new byte[n * SPACING + SPACING];
        Arrays.fill(ram, (byte) 0xCC);
        List<PatchSite> sites = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ClobberSet clobbers = switch (r.nextInt(4)) {
                case 0 -> ClobberSet.of(Register.RAX);
                case 1 -> ClobberSet.callerSaved(isa);
                case 2 -> ClobberSet.linuxAny(isa);
                default -> ClobberSet.none();
            };
            PatchSite s = form.site(base + SPACING / 2 + (long) i * SPACING, i, SiteKind.CALL, clobbers, r.nextInt(3));
            form.encode(s, NopTable.P6, ram, (int) (s.address() - base));
            sites.add(s);
        }
        return new Sites(seed, isa, base, ram, form, sites, drawOps(r, isa, base, n));
    }

    static OpsTable drawOps(Random r, Isa isa, long base, int n) {
        OpsTable.Builder b = OpsTable.builder();
        for (int i = 0; i < n; i++) {
            Op op = switch (r.nextInt(3)) {
                case 0 -> Op.nop();
                case 1 -> {
                    String[] nat = NATIVE[r.nextInt(NATIVE.length)];
                    yield Op.nativeCode(nat[0], nat[1].isEmpty() ? ClobberSet.none() : ClobberSet.of(Register.RAX));
                }
                default -> Op.call(base + 0x200000L + 0x10L * r.nextInt(64), ClobberSet.callerSaved(isa));
            };
            b.put(i, op);
        }
        return b.build();
    }
}
