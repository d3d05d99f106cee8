package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.SiteKind;
import static io.github.pvpatch.testing.Hex.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.x86.NopTable;
import java.util.List;
import org.junit.jupiter.api.Test;

class JournalTest {
    private static final long BASE = 0xffffffff81000000L;
    private static final UnpatchedForm FORM = UnpatchedForm.of(Isa.X86_64, 0xffffffff82000000L);
    private static final ClobberSet ANY = ClobberSet.linuxAny(Isa.X86_64);

    private final byte[] text = new byte[32];
    private final CodeBuffer code = CodeBuffer.wrap(text, BASE);
    private final PatchSite a = FORM.site(BASE, 0, SiteKind.CALL, ANY, 0);
    private final PatchSite b = FORM.site(BASE + 8, 1, SiteKind.CALL, ANY, 2);
    private final OpsTable nativeOps = OpsTable.builder()
            .put(0, Op.nativeCode("fa", ClobberSet.none()))
            .put(1, Op.nop())
            .build();
    private final OpsTable hypervisorOps = OpsTable.builder()
            .put(0, Op.call(BASE + 0x100, ANY))
            .put(1, Op.call(BASE + 0x200, ANY))
            .build();

    JournalTest() {
        FORM.encode(a, NopTable.P6, text, 0);
        FORM.encode(b, NopTable.P6, text, 8);
    }

    @Test
    void revertRestoresTheOriginalBytes() {
        String original = of(text);
        Journal j = PatchPlan.of(code, List.of(a, b), nativeOps).apply();
        assertFalse(original.equals(of(text)));
        assertTrue(j.isLive());
        j.revert();
        assertEquals(original, of(text));
        assertFalse(j.isLive());
        assertThrows(IllegalStateException.class, j::revert);
        assertThrows(IllegalStateException.class, () -> j.repatch(nativeOps));
    }

    @Test
    void repatchWritesWhatAFreshPatchOfTheOriginalWould() {
        byte[] fresh = text.clone();
        PatchPlan.of(CodeBuffer.wrap(fresh, BASE), List.of(a, b), hypervisorOps).apply();
        String original = of(text);

        Journal j = PatchPlan.of(code, List.of(a, b), nativeOps).apply();
        Journal k = j.repatch(hypervisorOps);
        assertEquals(of(fresh), of(text));
        assertFalse(j.isLive());
        assertTrue(k.isLive());
        assertEquals(hypervisorOps, k.plan().ops());
        assertEquals(of(k.plan().originalBytes(0)), original.substring(0, 17), "originals are still the unpatched code");
        k.revert();
        assertEquals(original, of(text));
    }

    @Test
    void aFailedRepatchWritesNothingAndKeepsTheJournalLive() {
        Journal j = PatchPlan.of(code, List.of(a, b), nativeOps).apply();
        String patched = of(text);
        PatchBug bug = assertThrows(PatchBug.class, () -> j.repatch(nativeOps.without(1)));
        assertEquals(Violation.OP_MISSING, bug.violation());
        assertEquals(patched, of(text));
        assertTrue(j.isLive());
        Journal lenient = j.repatch(nativeOps.without(1), PatchOptions.defaults().withMode(PatchOptions.Mode.LENIENT));
        assertEquals(Violation.OP_MISSING,
                assertInstanceOf(SiteOutcome.LeftUnpatched.class, lenient.plan().outcome(1)).reason().violation());
        assertEquals(of(lenient.plan().originalBytes(1)), of(code.read(b.address(), b.length())));
    }

    @Test
    void revertRefusesWhenSomeoneElseChangedASite() {
        Journal j = PatchPlan.of(code, List.of(a, b), nativeOps).apply();
        text[9] ^= 0x40;
        String tampered = of(text);
        assertThrows(IllegalStateException.class, j::revert);
        assertThrows(IllegalStateException.class, () -> j.repatch(hypervisorOps));
        assertEquals(tampered, of(text));
        assertTrue(j.toString().contains("live=true"), j.toString());
    }
}
