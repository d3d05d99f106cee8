package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import static io.github.pvpatch.testing.Hex.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.x86.NopTable;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PatchPlanTest {
    private static final long BASE = 0xc1000000L;
    private static final UnpatchedForm FORM = UnpatchedForm.of(Isa.X86_32, 0xc0400000L);
    private static final ClobberSet EAX = ClobberSet.of(Register.EAX);
    private static final ClobberSet ANY = ClobberSet.linuxAny(Isa.X86_32);

    private byte[] text;
    private CodeBuffer code;
    private PatchSite cli;
    private PatchSite sti;
    private PatchSite call;
    private OpsTable ops;

    @BeforeEach
    void layOut() {
        text = new byte[64];
        code = CodeBuffer.wrap(text, BASE);
        cli = FORM.site(BASE, 0, SiteKind.CALL, EAX, 0);             // 10 bytes
        sti = FORM.site(BASE + 16, 1, SiteKind.CALL, EAX, 0);        // 10 bytes
        call = FORM.site(BASE + 32, 2, SiteKind.CALL, ANY, 2);       // 8 bytes
        for (PatchSite s : List.of(cli, sti, call)) {
            FORM.encode(s, NopTable.P6, text, (int) (s.address() - BASE));
        }
        ops = OpsTable.builder()
                .put(0, Op.nativeCode("fa", ClobberSet.none()))
                .put(1, Op.nativeCode("fb", ClobberSet.none()))
                .put(2, Op.call(BASE + 48, ClobberSet.callerSaved(Isa.X86_32)))
                .build();
    }

    @Test
    void appliesEverySiteAndNothingElse() {
        byte[] before = text.clone();
        PatchPlan plan = PatchPlan.of(code, List.of(cli, sti, call), ops);
        assertEquals(of(before), of(text), "planning writes nothing");
        assertEquals(Map.of(Strategy.INLINE_NATIVE, 2, Strategy.DIRECT_CALL, 1), plan.countByStrategy());
        plan.apply();
        for (int i = 0; i < text.length; i++) {
            long a = BASE + i;
            boolean inSite = List.of(cli, sti, call).stream().anyMatch(s -> a >= s.address() && a < s.addressAfter());
            if (!inSite) {
                assertEquals(before[i], text[i], "byte outside every site at +" + i);
            }
        }
        assertEquals("fa 0f 1f 84 00 00 00 00 00 90", of(code.read(cli.address(), 10)));
        assertEquals(3, plan.size());
        assertEquals(List.of(cli, sti, call), plan.sites());
        assertEquals(of(before, 0, 10), of(plan.originalBytes(0)));
        assertTrue(plan.problems().isEmpty());
        assertTrue(plan.toString().contains("sites=3"), plan.toString());
    }

    @Test
    void oneBadSiteLeavesTheWholeBufferUnchanged() {
        byte[] before = text.clone();
        OpsTable bad = ops.with(1, Op.nativeCode("9c 58", EAX.union(ClobberSet.of(Register.ECX))));
        PatchBug b = assertThrows(PatchBug.class, () -> PatchPlan.of(code, List.of(cli, sti, call), bad));
        assertEquals(sti, b.site());
        assertEquals(Violation.NATIVE_CLOBBERS_KEPT_REGISTER, b.violation());
        assertEquals(of(before), of(text));
    }

    @Test
    void sitesOutsideTheBuffer() {
        PatchSite past = PatchSite.of(Isa.X86_32, BASE + 60, 6, 0, ANY);
        PatchBug b = assertThrows(PatchBug.class, () -> PatchPlan.of(code, List.of(cli, past), ops));
        assertEquals(Violation.SITE_OUTSIDE_BUFFER, b.violation());
        assertEquals(6, b.needed());
        assertEquals(4, b.available());
        PatchSite before = PatchSite.of(Isa.X86_32, BASE - 6, 6, 0, ANY);
        PatchBug c = assertThrows(PatchBug.class, () -> PatchPlan.of(code, List.of(before), ops));
        assertEquals(0, c.available());
        assertTrue(c.getMessage().contains("CodeBuffer[0xc1000000,0xc1000040)"), c.getMessage());
        // Not a per-site rule: lenient mode throws too.
        assertThrows(PatchBug.class, () -> PatchPlan.of(code, List.of(before), ops,
                PatchOptions.defaults().withMode(PatchOptions.Mode.LENIENT)));
    }

    @Test
    void overlappingSitesInAnyOrder() {
        PatchSite inside = PatchSite.of(Isa.X86_32, BASE + 20, 6, 1, ANY);
        PatchBug b = assertThrows(PatchBug.class, () -> PatchPlan.of(code, List.of(call, inside, cli, sti), ops));
        assertEquals(Violation.SITES_OVERLAP, b.violation());
        assertEquals(BASE + 26, b.needed(), "end of the earlier site");
        assertEquals(BASE + 26, b.site().addressAfter() == BASE + 26 ? b.needed() : b.site().address());
        assertTrue(b.getMessage().contains("shares bytes with"), b.getMessage());
        PatchSite adjacent = PatchSite.of(Isa.X86_32, BASE + 10, 6, 1, ANY);
        FORM.encode(adjacent, NopTable.P6, text, 10);
        PatchPlan.of(code, List.of(adjacent, cli), ops);   // touching is fine
        assertThrows(PatchBug.class, () -> PatchPlan.of(code, List.of(cli, cli), ops));
    }

    @Test
    void lenientModeLeavesBrokenSitesAsTheyAreAndSaysWhy() {
        OpsTable partial = ops.without(1).with(2, Op.call(BASE + 48, ClobberSet.of(Register.EBX, Register.ESI, Register.EDI)));
        PatchSite narrow = PatchSite.of(Isa.X86_32, BASE + 32, 8, 2, EAX);
        byte[] before = text.clone();
        PatchPlan plan = PatchPlan.of(code, List.of(cli, sti, narrow), partial,
                PatchOptions.defaults().withMode(PatchOptions.Mode.LENIENT));
        assertEquals(SiteOutcome.patched(Strategy.INLINE_NATIVE), plan.outcome(0));
        SiteOutcome.LeftUnpatched one = assertInstanceOf(SiteOutcome.LeftUnpatched.class, plan.outcome(1));
        assertEquals(Violation.OP_MISSING, one.reason().violation());
        SiteOutcome.LeftUnpatched two = assertInstanceOf(SiteOutcome.LeftUnpatched.class, plan.outcome(2));
        assertEquals(Violation.SAVES_DO_NOT_FIT, two.reason().violation());
        assertEquals(List.of(one.reason(), two.reason()), plan.problems());
        assertEquals(Map.of(Strategy.INLINE_NATIVE, 1), plan.countByStrategy(), "left sites are no strategy's");
        assertTrue(plan.toString().contains("leftUnpatched=2"), plan.toString());
        plan.apply();
        assertEquals(of(before, 16, 40), of(text, 16, 40), "unpatched sites keep their bytes");
        assertFalse(of(before, 0, 10).equals(of(text, 0, 10)));
    }

    @Test
    void strictIsTheDefault() {
        assertEquals(PatchOptions.Mode.STRICT, PatchOptions.defaults().mode());
        assertEquals(NopTable.P6, PatchOptions.defaults().nops());
        assertEquals(Patcher.standard(), PatchOptions.defaults().patcher());
        assertThrows(PatchBug.class, () -> PatchPlan.of(code, List.of(cli, sti), ops.without(1)));
        assertTrue(PatchOptions.defaults().toString().contains("STRICT"));
    }

    @Test
    void aPlanRefusesToApplyWhenTheCodeChangedSincePlanning() {
        PatchPlan plan = PatchPlan.of(code, List.of(cli, sti), ops);
        text[17] ^= 1;
        byte[] before = text.clone();
        IllegalStateException e = assertThrows(IllegalStateException.class, plan::apply);
        assertTrue(e.getMessage().contains(sti.toString()), e.getMessage());
        assertEquals(of(before), of(text), "nothing written, not even the first site");
    }

    @Test
    void readOnlyBuffersCanBePlannedButNotWritten() {
        CodeBuffer ro = CodeBuffer.wrap(ByteBuffer.wrap(text).asReadOnlyBuffer(), BASE);
        PatchPlan plan = PatchPlan.of(ro, List.of(cli), ops);
        assertEquals("fa 0f 1f 84 00 00 00 00 00 90", of(plan.patchedBytes(0)));
        assertThrows(IllegalStateException.class, plan::apply);
    }

    @Test
    void directByteBuffersArePatchedInPlace() {
        ByteBuffer direct = ByteBuffer.allocateDirect(text.length);
        direct.put(text).clear();
        PatchPlan.of(CodeBuffer.wrap(direct, BASE), List.of(cli), ops).apply();
        assertEquals((byte) 0xfa, direct.get(0));
    }

    @Test
    void nopTablesMustSupportTheSitesIsa() {
        PatchSite s64 = PatchSite.of(Isa.X86_64, BASE, 6, 0, ClobberSet.none());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PatchPlan.of(code, List.of(s64),
                ops, PatchOptions.defaults().withNops(NopTable.K7)));
        assertTrue(e.getMessage().contains("nops=K7"), e.getMessage());
    }

    @Test
    void argumentsAreChecked() {
        assertThrows(NullPointerException.class, () -> PatchPlan.of(null, List.of(), ops));
        assertThrows(NullPointerException.class, () -> PatchPlan.of(code, null, ops));
        assertThrows(NullPointerException.class, () -> PatchPlan.of(code, List.of(), null));
        assertThrows(NullPointerException.class, () -> PatchPlan.of(code, List.of(), ops, null));
        assertThrows(NullPointerException.class, () -> PatchPlan.of(code, java.util.Arrays.asList(cli, null), ops));
        assertThrows(IndexOutOfBoundsException.class, () -> PatchPlan.of(code, List.of(cli), ops).outcome(1));
        assertEquals(0, PatchPlan.of(code, List.of(), ops).size());
    }
}
