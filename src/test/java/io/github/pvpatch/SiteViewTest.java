package io.github.pvpatch;

import static io.github.pvpatch.testing.Hex.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.x86.NopTable;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One view of a site: the patcher's {@code site} argument is obeyed, a table row takes every valid site, and a patcher can be tested on a scratch writer. */
class SiteViewTest {
    private static final long BASE = 0xffffffff81000000L;
    private static final UnpatchedForm FORM = UnpatchedForm.of(Isa.X86_64, 0xffffffff82000000L);
    private static final ClobberSet CALLER = ClobberSet.callerSaved(Isa.X86_64);
    private final PatchSite site = FORM.site(BASE, 1, SiteKind.CALL, CALLER, 4);
    private final Op.Native xorEax = Op.nativeCode("31 c0", ClobberSet.of(Register.RAX));

    /** A decorator that hands the standard patcher the site without rax among its clobbers. */
    private static final Patcher KEEP_RAX = (site, op, out) ->
            Patcher.standard().patch(site.withClobbers(site.clobbers().minus(ClobberSet.of(Register.RAX))), op, out);

    private PatchPlan plan(Patcher patcher, Op op) {
        return PatchPlan.of(CodeBuffer.wrap(FORM.encode(site), BASE), List.of(site),
                OpsTable.builder().put(1, op).build(), PatchOptions.defaults().withPatcher(patcher));
    }

    @Test
    void aDecoratorsChangedSiteIsTheOneThatIsPatched() {
        assertEquals(SiteOutcome.patched(Strategy.INLINE_NATIVE), plan(Patcher.standard(), xorEax).outcome(0));
        PatchBug bug = assertThrows(PatchBug.class, () -> plan(KEEP_RAX, xorEax));
        assertEquals(Violation.NATIVE_CLOBBERS_KEPT_REGISTER, bug.violation());
        assertTrue(bug.getMessage().contains("registers=[rax]"), bug.getMessage());
        assertEquals(CALLER.minus(ClobberSet.of(Register.RAX)), bug.site().clobbers(), "the site named is the decorator's");
        // Through a table pass as well.
        PatchPass pass = PatchPass.of(PatchOptions.defaults().withPatcher(KEEP_RAX));
        assertThrows(PatchBug.class, () -> pass.apply(CodeBuffer.wrap(FORM.encode(site), BASE),
                SiteTable.of(Isa.X86_64, List.of(site)), OpsTable.builder().put(1, xorEax).build()));
        // A decorator that makes the site a jump site: a NOP pad there is refused.
        Patcher asJump = (s, op, out) -> Patcher.standard().patch(s.withKind(SiteKind.JUMP), op, out);
        assertEquals(Violation.OP_KIND_MISMATCH, assertThrows(PatchBug.class, () -> plan(asJump, Op.nop())).violation());
    }

    @Test
    void aSiteElsewhereIsNotTheOneTheWriterWrites() {
        Patcher moved = (s, op, out) -> Patcher.standard().patch(s.withAddress(s.address() + 16), op, out);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> plan(moved, xorEax));
        assertTrue(e.getMessage().contains("is not the site this writer writes"), e.getMessage());
    }

    @Test
    void aTableRowTakesEveryValidSite() {
        // A call offset past 127: a PatchSite allows it, so a row must too.
        PatchSite far = FORM.site(BASE, 1, SiteKind.CALL, CALLER, 200).withCallOffset(200);
        SiteTable t = SiteTable.of(Isa.X86_64, List.of(far, far.withAddress(BASE + 0x1000).withoutCallOffset()));
        assertEquals(200, t.callOffset(0));
        assertEquals(-1, t.callOffset(1));
        assertEquals(far, t.site(0));
        PatchSite longest = PatchSite.of(Isa.X86_64, BASE, PatchSite.MAX_LENGTH, PatchSite.MAX_TYPE, CALLER)
                .withCallOffset(PatchSite.MAX_LENGTH - 1).withStackArguments(255).withKind(SiteKind.JUMP);
        assertEquals(longest, SiteTable.of(Isa.X86_64, List.of(longest)).site(0));
        // And the same rules refuse the same fields, with the same messages.
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class,
                () -> PatchSite.of(Isa.X86_64, BASE, 6, 1, CALLER).withCallOffset(6));
        IllegalArgumentException b = assertThrows(IllegalArgumentException.class,
                () -> SiteTable.builder(Isa.X86_64, 1).add(BASE, 6, 1, CALLER.bits(), SiteKind.CALL, 6, 0));
        assertEquals(a.getMessage(), b.getMessage());
    }

    @Test
    void aPatcherCanBeUnitTestedOnAScratchWriter() {
        byte[] original = FORM.encode(site);
        SiteWriter w = SiteWriter.scratch(site, original, NopTable.P6);
        Patcher cli = (s, op, out) -> {
            out.put(0xFA);
            return Strategy.INLINE_NATIVE;
        };
        assertEquals(Strategy.INLINE_NATIVE, cli.patch(site, xorEax, w));
        byte[] bytes = w.bytes();
        assertEquals(site.length(), bytes.length);
        assertEquals(0xFA, bytes[0] & 0xFF);
        byte[] pad = new byte[site.length() - 1];
        NopTable.P6.fill(pad, 0, pad.length, Isa.X86_64);
        assertEquals(of(pad), of(java.util.Arrays.copyOfRange(bytes, 1, bytes.length)));
        // The standard patcher on a scratch writer writes what a plan writes.
        SiteWriter std = SiteWriter.scratch(site, original, NopTable.P6);
        assertEquals(Strategy.INLINE_NATIVE, Patcher.standard().patch(site, xorEax, std));
        assertEquals(of(plan(Patcher.standard(), xorEax).patchedBytes(0)), of(std.bytes()));
        // Writing past the end is still refused.
        SiteWriter full = SiteWriter.scratch(site, original, NopTable.P6);
        assertThrows(PatchBug.class, () -> full.putNops(site.length() + 1));
        assertThrows(IllegalArgumentException.class, () -> SiteWriter.scratch(site, new byte[3], NopTable.P6));
    }
}
