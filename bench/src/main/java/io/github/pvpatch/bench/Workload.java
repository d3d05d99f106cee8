package io.github.pvpatch.bench;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPass;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.SiteTable;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.x86.NopTable;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * A deterministic batch of sites to patch: unpatched code in one buffer, the site table and the
 * ops. {@code mixed} is the mix of Debian's 6.1 kernel (about 60% inline-native, 38% direct
 * calls, 2% NOP pads); the others exercise one strategy each. The same workload is written to a
 * file for the C reference, with the bytes Java produces, so both passes are checked equal.
 */
public final class Workload {
    static final int TYPES = 8;
    static final int GAP = 2;

    public final Isa isa;
    public final String kind;
    public final long base;
    public final long table;
    public final byte[] pristine;
    public final byte[] code;
    public final SiteTable sites;
    public final OpsTable ops;
    public final UnpatchedForm form;

    private Workload(Isa isa, String kind, long base, long table, byte[] pristine, SiteTable sites, OpsTable ops,
            UnpatchedForm form) {
        this.isa = isa;
        this.kind = kind;
        this.base = base;
        this.table = table;
        this.pristine = pristine;
        this.code = pristine.clone();
        this.sites = sites;
        this.ops = ops;
        this.form = form;
    }

    /** {@return a fresh buffer over {@link #code}} */
    public CodeBuffer buffer() {
        return CodeBuffer.wrap(code, base);
    }

    /** Puts the unpatched code back. */
    public void reset() {
        System.arraycopy(pristine, 0, code, 0, code.length);
    }

    public static Workload of(Isa isa, String kind, int n, long seed) {
        long base = isa == Isa.X86_32 ? 0xc1000000L : 0xffffffff81000000L;
        ClobberSet ret = isa == Isa.X86_32 ? ClobberSet.of(Register.EAX, Register.EDX) : ClobberSet.of(Register.RAX);
        ClobberSet any = ClobberSet.linuxAny(isa);
        ClobberSet cabi = ClobberSet.callerSaved(isa);
        String[] natives = isa == Isa.X86_32
                ? new String[] {"fa", "fb", "9c 58", "0f 20 d0", "89 f8"}
                : new String[] {"fa", "fb", "9c 58", "0f 20 d0", "48 89 f8"};
        OpsTable.Builder ops = OpsTable.builder();
        for (int t = 0; t < 5; t++) {
            ops.put(t, Op.nativeCode(natives[t], ClobberSet.of(Register.RAX)));
        }
        long fn = base + 0x100_0000;
        ops.put(5, Op.call(fn, cabi)).put(6, Op.call(fn + 0x40, cabi)).put(7, Op.nop());
        SplittableRandom rnd = new SplittableRandom(seed);
        int[] types = new int[n];
        for (int i = 0; i < n; i++) {
            int roll = rnd.nextInt(100);
            types[i] = switch (kind) {
                case "mixed" -> roll < 60 ? roll % 5 : roll < 98 ? 5 + roll % 2 : 7;
                case "native" -> roll % 5;
                case "call", "saves" -> 5 + roll % 2;
                case "nop" -> 7;
                default -> throw new IllegalArgumentException("workload " + kind);
            };
        }
        // 2.6.21-style sites for "saves": the site saves what a C call destroys beyond its clobbers.
        UnpatchedForm form = kind.equals("saves") ? UnpatchedForm.of(isa, 0) : UnpatchedForm.of(isa, 0)
                .withSlotClobbers(ClobberSet.none());
        int siteLength = form.minimumLength(SiteKind.CALL, kind.equals("saves") ? ret : any);
        long stride = siteLength + GAP;
        long tableAddress = base + stride * n + 0x1000;
        form = kind.equals("saves") ? UnpatchedForm.of(isa, tableAddress)
                : UnpatchedForm.of(isa, tableAddress).withSlotClobbers(ClobberSet.none());
        byte[] code = new byte[(int) (stride * n)];
        Arrays.fill(code, (byte) 0xCC);
        SiteTable.Builder table = SiteTable.builder(isa, n);
        for (int i = 0; i < n; i++) {
            int t = types[i];
            ClobberSet clobbers = kind.equals("saves") || t < 5 ? ret : any;
            PatchSite site = form.site(base + stride * i, t, SiteKind.CALL, clobbers, 0);
            form.encode(site, NopTable.P6, code, (int) (stride * i));
            table.add(site);
        }
        return new Workload(isa, kind, base, tableAddress, code, table.build(), ops.build(), form);
    }

    /**
     * Writes the workload for bench/c/patch_ref.c: the unpatched code, the sites, the ops, and
     * the bytes Java's pass produces, which the C pass must match.
     */
    public void writeForC(OutputStream file) throws IOException {
        byte[] expected = pristine.clone();
        PatchPass.of(PatchOptions.defaults()).apply(CodeBuffer.wrap(expected, base), sites, ops);
        DataOutputStream out = new DataOutputStream(file);
        out.writeInt(Integer.reverseBytes(0x4C575650));   // "PVWL"
        out.writeInt(Integer.reverseBytes(isa == Isa.X86_32 ? 32 : 64));
        out.writeInt(Integer.reverseBytes(sites.size()));
        out.writeInt(Integer.reverseBytes(TYPES));
        out.writeLong(Long.reverseBytes(base));
        out.writeInt(Integer.reverseBytes(pristine.length));
        out.write(pristine);
        for (int i = 0; i < sites.size(); i++) {
            out.writeLong(Long.reverseBytes(sites.address(i)));
            out.writeByte(sites.length(i));
            out.writeShort(Short.reverseBytes((short) sites.type(i)));
            out.writeShort(Short.reverseBytes((short) sites.clobberBits(i)));
        }
        for (int t = 0; t < TYPES; t++) {
            Op op = ops.op(t).orElseThrow();
            int k = op instanceof Op.Nop ? 1 : op instanceof Op.Native ? 2 : 3;
            byte[] nat = op instanceof Op.Native ? ((Op.Native) op).code() : new byte[0];
            out.writeByte(k);
            out.writeShort(Short.reverseBytes((short) op.clobbers().bits()));
            out.writeByte(nat.length);
            out.write(nat);
            out.writeLong(Long.reverseBytes(op instanceof Op.Call ? ((Op.Call) op).target() : 0));
        }
        out.write(expected);
        out.flush();
    }
}
