package io.github.pvpatch.exec;

import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.testing.Generators;
import io.github.pvpatch.testing.Hex;
import io.github.pvpatch.x86.IndirectForm;
import io.github.pvpatch.x86.NopTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * A generated piece of code that can run: sites in their unpatched form inside the harness's
 * code page, calling through the harness's ops table, with ops whose targets are the harness's
 * stubs and whose native code is safe in user mode. Each op type follows one slot convention
 * (plain C functions, or callee-save thunks that destroy only the return register), and its op
 * destroys nothing beyond it, so the unpatched code is correct to run, as the seed's invariant
 * demands.
 */
public final class ExecScenario {
    static final int TYPES = Generators.TYPES;

    public final Isa isa;
    public final long base;
    public final List<PatchSite> sites;
    public final OpsTable ops;
    public final NopTable nops;
    public final long[] regs;
    private final byte[] text;

    private ExecScenario(Isa isa, long base, List<PatchSite> sites, OpsTable ops, NopTable nops, long[] regs,
            byte[] text) {
        this.isa = isa;
        this.base = base;
        this.sites = List.copyOf(sites);
        this.ops = ops;
        this.nops = nops;
        this.regs = regs;
        this.text = text;
    }

    /** {@return a code buffer over a fresh copy of the unpatched code} */
    public CodeBuffer freshCode() {
        return CodeBuffer.wrap(text.clone(), base);
    }

    /**
     * {@return native sequences that run in user mode on {@code isa}, with exactly the registers they
     * write} ({@code NativeScannerTest} checks that against Zydis).
     */
    public static List<Op.Native> safeNatives(Isa isa) {
        ClobberSet none = ClobberSet.none();
        if (isa == Isa.X86_32) {
            return List.of(Op.nativeCode("89 f8", ClobberSet.of(Register.EAX)),
                    Op.nativeCode("31 c0", ClobberSet.of(Register.EAX)),
                    Op.nativeCode("9c 58", ClobberSet.of(Register.EAX)),
                    Op.nativeCode("8d 47 08", ClobberSet.of(Register.EAX)),
                    Op.nativeCode("31 c9", ClobberSet.of(Register.ECX)),
                    Op.nativeCode("f7 d2", ClobberSet.of(Register.EDX)),
                    Op.nativeCode("89 c2 41", ClobberSet.of(Register.EDX, Register.ECX)),
                    Op.nativeCode("90", none), Op.nativeCode("fc", none), Op.nativeCode("9c 9d", none));
        }
        return List.of(Op.nativeCode("48 89 f8", ClobberSet.of(Register.RAX)),
                Op.nativeCode("89 f8", ClobberSet.of(Register.RAX)),
                Op.nativeCode("31 c0", ClobberSet.of(Register.RAX)),
                Op.nativeCode("9c 58", ClobberSet.of(Register.RAX)),
                Op.nativeCode("48 8d 47 08", ClobberSet.of(Register.RAX)),
                Op.nativeCode("48 31 c9", ClobberSet.of(Register.RCX)),
                Op.nativeCode("48 f7 d2", ClobberSet.of(Register.RDX)),
                Op.nativeCode("48 ff c6", ClobberSet.of(Register.RSI)),
                Op.nativeCode("49 89 f8", ClobberSet.of(Register.R8)),
                Op.nativeCode("4c 8d 57 01 4d 31 db", ClobberSet.of(Register.R10, Register.R11)),
                Op.nativeCode("90", none), Op.nativeCode("fc", none), Op.nativeCode("9c 9d", none));
    }

    /** {@return runnable scenarios for the harness {@code h}} */
    public static Gen<ExecScenario> scenarios(Harness h) {
        Gen<int[]> types = Generate.intArrays(Generate.constant(TYPES * 4), integers().between(0, 0xFFFF));
        Gen<List<int[]>> sites = Generators.lists(
                Generate.intArrays(Generate.constant(8), integers().between(0, 0xFFFF)), 1, 6);
        Gen<long[]> regs = Generators.lists(longs().all(), 16, 16)
                .map(l -> l.stream().mapToLong(Long::longValue).toArray());
        return types.zip(sites, regs, Generators.nopTables(h.isa), integers().between(0, 99),
                (t, s, r, nops, shape) -> build(h, t, s, r, nops, shape));
    }

    private static ExecScenario build(Harness h, int[] t, List<int[]> draws, long[] regs, NopTable nops, int shape) {
        Isa isa = h.isa;
        ClobberSet callerSaved = ClobberSet.callerSaved(isa);
        ClobberSet rax = ClobberSet.of(Register.RAX);
        // In-place shape (x86-64): the site saves one low and one REX register itself and its op
        // destroys the REX one, so generated saves (pushed twice for alignment) do not fit.
        boolean inPlace = isa == Isa.X86_64 && shape < 15;
        ClobberSet[] convention = new ClobberSet[TYPES];
        OpsTable.Builder ops = OpsTable.builder();
        List<Op.Native> natives = safeNatives(isa);
        for (int k = 0; k < TYPES; k++) {
            int d0 = t[4 * k], d1 = t[4 * k + 1], d2 = t[4 * k + 2], d3 = t[4 * k + 3];
            convention[k] = !inPlace && d0 % 4 == 3 ? rax : callerSaved;
            int roll = d1 % 100;
            if (inPlace) {
                Register hi = Register.ofEncoding(8 + (d2 & 3));
                ops.put(k, Op.call(h.stub(k), (d3 & 1) == 0 ? ClobberSet.of(hi) : ClobberSet.of(hi, Register.RAX),
                        (d3 & 1) == 1));
            } else if (roll < 4) {
                continue;   // no op: sites of this type stay as they are
            } else if (roll < 20) {
                ops.put(k, Op.nop());
            } else if (roll < 48) {
                List<Op.Native> fit = new ArrayList<>();
                for (Op.Native n : natives) {
                    if (convention[k].containsAll(n.clobbers())) {
                        fit.add(n);
                    }
                }
                ops.put(k, fit.get(d2 % fit.size()));
            } else if (roll < 92) {
                ClobberSet c = ClobberSet.ofBits(d2 & convention[k].bits());
                ops.put(k, Op.call(h.stub(k), c, (d3 & 1) == 1 && c.contains(Register.RAX)));
            } else {
                ops.put(k, Op.jump(h.stub(k)));
            }
        }
        OpsTable table = ops.build();
        UnpatchedForm plain = UnpatchedForm.of(isa, h.tableBase);
        if (shape % 7 == 3) {
            plain = isa == Isa.X86_32 ? plain.withForms(IndirectForm.CALL_CS_ABS32, IndirectForm.JMP_CS_ABS32)
                    : plain.withForms(IndirectForm.CALL_SIB_ABS32, IndirectForm.JMP_SIB_ABS32);
        }
        List<ClobberSet> standard = List.of(ClobberSet.none(), rax, callerSaved, ClobberSet.linuxAny(isa),
                callerSaved.minus(ClobberSet.of(Register.RCX)), ClobberSet.of(Register.RAX, Register.RDX));
        long base = h.codeBase + 64 + (shape * 48L);
        long at = base;
        List<PatchSite> sites = new ArrayList<>();
        List<byte[]> bodies = new ArrayList<>();
        for (int i = 0; i < draws.size(); i++) {
            int[] s = draws.get(i);
            int type = inPlace ? i : s[0] % TYPES;
            Op op = table.op(type).orElse(null);
            SiteKind kind = op instanceof Op.Jump && s[1] % 10 != 0 ? SiteKind.JUMP : SiteKind.CALL;
            ClobberSet clobbers = s[3] % 2 == 0 ? standard.get(s[2] % standard.size())
                    : ClobberSet.ofBits(s[2] & ClobberSet.all(isa).bits());
            if (inPlace) {
                Register lo = Register.ofEncoding(new int[] {1, 2, 6, 7}[s[2] & 3]);
                Register hi = Register.R8;
                for (Register r : op.clobbers().registers()) {
                    if (r.needsRex()) {
                        hi = r;
                    }
                }
                clobbers = callerSaved.minus(ClobberSet.of(lo, hi));
            }
            int stackArgs = !inPlace && kind == SiteKind.CALL && s[4] % 100 < 15 ? 1 + s[4] % 3 : 0;
            UnpatchedForm form = plain.withSlotClobbers(convention[type]);
            if (stackArgs > 0) {
                clobbers = clobbers.union(form.slotClobbers());
            }
            PatchSite site = form.site(at, type, kind, clobbers, s[5] % 7);
            if (s[6] % 2 == 1 && !inPlace) {
                site = site.withoutCallOffset();
            }
            site = site.withStackArguments(stackArgs);
            byte[] body = new byte[site.length()];
            form.encode(site, nops, body, 0);
            sites.add(site);
            bodies.add(body);
            at += body.length + s[7] % 4;
        }
        byte[] text = new byte[(int) (at - base)];
        Arrays.fill(text, (byte) 0xCC);
        for (int i = 0; i < sites.size(); i++) {
            System.arraycopy(bodies.get(i), 0, text, (int) (sites.get(i).address() - base), bodies.get(i).length);
        }
        long[] r = regs.clone();
        if (isa == Isa.X86_32) {
            for (int i = 0; i < r.length; i++) {
                r[i] &= 0xFFFF_FFFFL;
            }
        }
        return new ExecScenario(isa, base, sites, table, nops, r, text);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("ExecScenario{").append(isa.displayName()).append(" nops=").append(nops)
                .append(" regs=").append(Harness.hex(regs)).append('\n');
        for (PatchSite s : sites) {
            int off = (int) (s.address() - base);
            sb.append("  ").append(s).append(" bytes=").append(Hex.of(text, off, off + s.length())).append('\n');
        }
        return sb.append("  ").append(ops).append('}').toString();
    }
}
