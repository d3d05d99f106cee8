package io.github.pvpatch.testing;

import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.x86.IndirectForm;
import io.github.pvpatch.x86.NopTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * QuickTheories generators of the domain, shared by every property suite. Each builds on the
 * primitive draws QuickTheories shrinks, so a failing scenario shrinks towards fewer sites, fewer
 * registers, shorter code and smaller offsets.
 */
public final class Generators {
    /** How many op types scenarios use; small, so sites share ops. */
    public static final int TYPES = 8;
    private static final long GIB = 1L << 30;

    private Generators() {
    }

    /** {@return the effort of each property, from {@code -Dpvpatch.examples} (default 2000)} */
    public static int examples() {
        return Integer.getInteger("pvpatch.examples", 2000);
    }

    /** {@return both ISAs} */
    public static Gen<Isa> isas() {
        return Generate.enumValues(Isa.class);
    }

    /** {@return clobber sets of {@code isa}: the standard ones often, any subset sometimes} */
    public static Gen<ClobberSet> clobberSets(Isa isa) {
        int all = ClobberSet.all(isa).bits();
        Gen<ClobberSet> any = integers().between(0, 0xFFFF).map(bits -> ClobberSet.ofBits(bits & all));
        Gen<ClobberSet> standard = Generate.pick(List.of(ClobberSet.none(), ClobberSet.of(Register.RAX),
                ClobberSet.callerSaved(isa), ClobberSet.linuxAny(isa),
                ClobberSet.callerSaved(isa).minus(ClobberSet.of(Register.RCX)),
                ClobberSet.of(Register.RAX, Register.RDX)));
        return standard.mix(any, 50);
    }

    /** {@return NOP tables usable on {@code isa}} */
    public static Gen<NopTable> nopTables(Isa isa) {
        List<NopTable> usable = new ArrayList<>();
        for (NopTable t : NopTable.values()) {
            if (t.supports(isa)) {
                usable.add(t);
            }
        }
        return Generate.pick(usable).mix(Generate.constant(NopTable.P6), 60);
    }

    /** {@return where generated code starts: low user addresses, or the kernel's top 2 GiB on x86-64} */
    static Gen<Long> bases(Isa isa) {
        if (isa == Isa.X86_32) {
            return longs().between(0x1000, 0xF000_0000L).map(a -> a & ~0xFL);
        }
        Gen<Long> low = longs().between(0x1000, 0x7FFF_0000_0000L).map(a -> a & ~0xFL);
        Gen<Long> kernel = longs().between(0, 0x3F00_0000L).map(a -> (0xFFFF_FFFF_8000_0000L + a) & ~0xFL);
        return low.mix(kernel, 50);
    }

    /** {@return an op of any kind for code at {@code base}: targets near, sometimes out of reach} */
    public static Gen<Op> ops(Isa isa, long base) {
        return ops(isa, base, Set.of(Op.Nop.class, Op.Native.class, Op.Call.class, Op.Jump.class));
    }

    /** {@return an op of one of {@code kinds} for code at {@code base}} */
    public static Gen<Op> ops(Isa isa, long base, Set<Class<? extends Op>> kinds) {
        Gen<ClobberSet> clobbers = clobberSets(isa);
        Gen<Long> targets = targets(isa, base);
        List<Gen<Op>> gens = new ArrayList<>();
        if (kinds.contains(Op.Nop.class)) {
            gens.add(Generate.constant(Op.nop()));
        }
        if (kinds.contains(Op.Native.class)) {
            Gen<byte[]> code = Generate.byteArrays(integers().between(0, 12),
                    Generate.bytes(Byte.MIN_VALUE, Byte.MAX_VALUE, (byte) 0x90));
            gens.add(code.zip(clobbers, Op::nativeCode));
        }
        if (kinds.contains(Op.Call.class)) {
            gens.add(targets.zip(clobbers, booleans().all(),
                    (t, c, r) -> Op.call(t, c, r && c.contains(Register.RAX))));
        }
        if (kinds.contains(Op.Jump.class)) {
            gens.add(targets.map(Op::jump));
        }
        Gen<Op> g = gens.get(0);
        for (int i = 1; i < gens.size(); i++) {
            g = g.mix(gens.get(i), 100 / (i + 1));
        }
        return g;
    }

    static Gen<Long> targets(Isa isa, long base) {
        if (isa == Isa.X86_32) {
            Gen<Long> near = longs().between(0, 0xFFFF_FFFFL);
            Gen<Long> far = longs().between(0x1_0000_0000L, 0x1_0000_FFFFL);
            return near.mix(far, 5);
        }
        Gen<Long> near = longs().between(-GIB, GIB).map(d -> base + d);
        Gen<Long> far = longs().between(3 * GIB, 4 * GIB).map(d -> base + d);
        return near.mix(far, 5);
    }

    /**
     * {@return scenarios of every kind, with in-place-shaped ones mixed in} This is what the
     * property suites draw from.
     */
    public static Gen<Scenario> allScenarios() {
        return scenarios().mix(inPlaceScenarios(), 15);
    }

    /**
     * {@return x86-64 scenarios shaped for the in-place conversion}: each site saves one low and
     * one REX register itself, and its op clobbers the REX one, so generated saves (pushed twice
     * for alignment) need 13 bytes where the site has 12, but the site's own bracket covers it.
     */
    public static Gen<Scenario> inPlaceScenarios() {
        Isa isa = Isa.X86_64;
        int[] low = {1, 2, 6, 7};
        return bases(isa).flatMap(base -> lists(integers().between(0, 63), 1, 4).zip(targets(isa, base),
                nopTables(isa), booleans().all(), (codes, target, nops, rax) -> {
                    List<SiteSpec> specs = new ArrayList<>();
                    OpsTable.Builder ops = OpsTable.builder();
                    for (int i = 0; i < codes.size(); i++) {
                        int c = codes.get(i);
                        Register lo = Register.ofEncoding(low[c & 3]);
                        Register hi = Register.ofEncoding(8 + ((c >> 2) & 3));
                        ClobberSet clobbers = ClobberSet.callerSaved(isa).minus(ClobberSet.of(lo, hi));
                        specs.add(new SiteSpec(SiteKind.CALL, clobbers, i, 0, c >> 4, true, false, 0, false, 0));
                        ClobberSet opClobbers = rax ? ClobberSet.of(hi, Register.RAX) : ClobberSet.of(hi);
                        ops.put(i, Op.call(target, opClobbers, rax));
                    }
                    return build(isa, base, base + 0x20_0000, specs, ops.build(), nops);
                }));
    }

    /**
     * {@return the kernel's native sequences of {@code isa} with the registers they really write}
     * (KERNEL-FACTS section 4): real instructions, for properties that decode what they inline.
     */
    public static List<Op.Native> realNatives(Isa isa) {
        ClobberSet none = ClobberSet.none();
        ClobberSet ax = ClobberSet.of(Register.RAX);
        if (isa == Isa.X86_32) {
            return List.of(Op.nativeCode("fa", none), Op.nativeCode("fb", none), Op.nativeCode("9c 58", ax),
                    Op.nativeCode("50 9d", none), Op.nativeCode("9c 58 fa", ax), Op.nativeCode("0f 20 d0", ax),
                    Op.nativeCode("0f 20 d8", ax), Op.nativeCode("0f 22 d8", none), Op.nativeCode("0f 06", none),
                    Op.nativeCode("0f 31", ClobberSet.of(Register.EAX, Register.EDX)), Op.nativeCode("c6 00 00", none));
        }
        return List.of(Op.nativeCode("fa", none), Op.nativeCode("fb", none), Op.nativeCode("9c 58", ax),
                Op.nativeCode("57 9d", none), Op.nativeCode("0f 20 d0", ax), Op.nativeCode("0f 20 d8", ax),
                Op.nativeCode("0f 22 df", none), Op.nativeCode("0f 01 3f", none), Op.nativeCode("0f 06", none),
                Op.nativeCode("0f 09", none), Op.nativeCode("0f 01 f8", none), Op.nativeCode("89 f8", ax),
                Op.nativeCode("48 89 f8", ax), Op.nativeCode("c6 07 00", none), Op.nativeCode("31 c0", ax));
    }

    /** {@return {@code s} with each native op replaced by a real sequence, chosen by its bytes} */
    public static Scenario withRealNatives(Scenario s) {
        List<Op.Native> pool = realNatives(s.isa);
        OpsTable.Builder b = s.ops.toBuilder();
        for (int t : s.ops.types()) {
            Op op = s.ops.op(t).orElseThrow();
            if (op instanceof Op.Native) {
                b.put(t, pool.get(Math.floorMod(java.util.Arrays.hashCode(((Op.Native) op).code()), pool.size())));
            }
        }
        return s.withOps(b.build());
    }

    /** {@return scenarios with every kind of op} */
    public static Gen<Scenario> scenarios() {
        return scenarios(Set.of(Op.Nop.class, Op.Native.class, Op.Call.class, Op.Jump.class));
    }

    /** {@return scenarios whose ops are of {@code kinds}} */
    public static Gen<Scenario> scenarios(Set<Class<? extends Op>> kinds) {
        return isas().flatMap(isa -> bases(isa).flatMap(base -> scenario(isa, base, kinds)));
    }

    private static Gen<Scenario> scenario(Isa isa, long base, Set<Class<? extends Op>> kinds) {
        long tableOffset = isa == Isa.X86_32 ? 0x10_0000 : 0x20_0000;
        long table = isa == Isa.X86_32 && base > 0xE000_0000L ? base - tableOffset : base + tableOffset;
        Gen<OpsTable> opsTables = lists(ops(isa, base, kinds), TYPES, TYPES).zip(
                integers().between(0, 100), (list, missing) -> {
                    OpsTable.Builder b = OpsTable.builder();
                    for (int t = 0; t < list.size(); t++) {
                        // Now and then a type has no op.
                        if (missing >= 8 || t != missing) {
                            b.put(t, list.get(t));
                        }
                    }
                    return b.build();
                });
        Gen<List<SiteSpec>> specs = lists(siteSpecs(isa), 1, 6);
        return specs.zip(opsTables, nopTables(isa), (s, ops, nops) -> build(isa, base, table, s, ops, nops));
    }

    /** One site as drawn, before layout. */
    record SiteSpec(SiteKind kind, ClobberSet clobbers, int type, int padding, int gap, boolean recordCall,
            boolean thunkSlots, int stackArguments, boolean legacyForm, int shorten) {
    }

    private static Gen<SiteSpec> siteSpecs(Isa isa) {
        Gen<SiteKind> kinds = Generate.constant(SiteKind.CALL).mix(Generate.constant(SiteKind.JUMP), 15);
        Gen<int[]> small = Generate.intArrays(Generate.constant(6), integers().between(0, 7));
        return kinds.zip(clobberSets(isa), small, booleans().all(), integers().between(0, 99),
                (kind, clobbers, n, flag, pct) -> new SiteSpec(kind, clobbers, n[0], n[1] % 7, n[2] % 4,
                        flag, pct < 25, pct >= 85 ? 1 + n[3] % 3 : 0, pct % 7 == 3, pct == 50 ? 1 + n[4] % 3 : 0));
    }

    private static Scenario build(Isa isa, long base, long table, List<SiteSpec> specs, OpsTable ops, NopTable nops) {
        UnpatchedForm plain = UnpatchedForm.of(isa, table);
        if (isa == Isa.X86_32) {
            // Sites of one image share an encoding; legacy images used the CS-prefixed forms.
            if (specs.get(0).legacyForm()) {
                plain = plain.withForms(IndirectForm.CALL_CS_ABS32, IndirectForm.JMP_CS_ABS32);
            }
        } else if (specs.get(0).legacyForm() && IndirectForm.CALL_SIB_ABS32.canEncode(0, table)) {
            plain = plain.withForms(IndirectForm.CALL_SIB_ABS32, IndirectForm.JMP_SIB_ABS32);
        }
        UnpatchedForm thunks = plain.withSlotClobbers(ClobberSet.of(Register.RAX));
        List<PatchSite> sites = new ArrayList<>();
        List<ClobberSet> saves = new ArrayList<>();
        List<byte[]> bodies = new ArrayList<>();
        long at = base;
        for (SiteSpec s : specs) {
            UnpatchedForm form = s.thunkSlots() ? thunks : plain;
            ClobberSet clobbers = s.clobbers();
            if (s.stackArguments() > 0) {
                // Pushes would move stack arguments, so such a site saves nothing itself.
                clobbers = clobbers.union(form.slotClobbers());
            }
            PatchSite site = form.site(at, s.type(), s.kind(), clobbers, s.padding());
            if (!s.recordCall()) {
                site = site.withoutCallOffset();
            }
            site = site.withStackArguments(s.stackArguments());
            byte[] body = new byte[site.length()];
            form.encode(site, nops, body, 0);
            if (s.shorten() > 0 && site.length() > s.shorten()) {
                // A site record shorter than its code: the seed's undersized-site BUG.
                site = PatchSite.of(isa, at, Math.min(5, site.length() - s.shorten()), s.type(), clobbers)
                        .withKind(s.kind());
            }
            sites.add(site);
            saves.add(form.saves(s.kind(), clobbers));
            bodies.add(body);
            at += body.length + s.gap();
        }
        byte[] text = new byte[(int) (at - base)];
        Arrays.fill(text, (byte) 0xCC);
        for (int i = 0; i < sites.size(); i++) {
            byte[] body = bodies.get(i);
            System.arraycopy(body, 0, text, (int) (sites.get(i).address() - base), body.length);
        }
        return new Scenario(isa, base, table, sites, saves, ops, nops, text);
    }

    /** Lists of {@code min..max} elements that shrink towards fewer. */
    public static <T> Gen<List<T>> lists(Gen<T> element, int min, int max) {
        return integers().between(min, max).flatMap(n -> rnd -> {
            List<T> list = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                list.add(element.generate(rnd));
            }
            return list;
        });
    }
}
