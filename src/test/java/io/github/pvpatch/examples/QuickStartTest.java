package io.github.pvpatch.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.Journal;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.Violation;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.verify.SiteVerifier;
import io.github.pvpatch.x86.NopTable;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's example, verbatim between the markers, so it always compiles and runs. */
class QuickStartTest {

    @Test
    void readmeExample() {
        // README-BEGIN
        // An i386 kernel's ops table at 0xc0400000; three sites in .text at 0xc1000000.
        UnpatchedForm form = UnpatchedForm.of(Isa.X86_32, 0xc0400000L);
        ClobberSet eax = ClobberSet.of(Register.EAX);
        PatchSite irqDisable = form.site(0xc1000000L, 0, SiteKind.CALL, eax, 0);   // 51 52 ff 15 .. 5a 59
        PatchSite irqEnable = form.site(0xc1000010L, 1, SiteKind.CALL, eax, 0);
        PatchSite flushTlb = form.site(0xc1000020L, 2, SiteKind.CALL, ClobberSet.linuxAny(Isa.X86_32), 0);
        List<PatchSite> sites = List.of(irqDisable, irqEnable, flushTlb);

        byte[] text = new byte[0x30];
        CodeBuffer code = CodeBuffer.wrap(text, 0xc1000000L);
        for (PatchSite s : sites) {
            form.encode(s, NopTable.P6, text, (int) (s.address() - code.baseAddress()));
        }

        // The ops running on bare hardware: cli, sti, and a C function for the TLB flush.
        OpsTable nativeOps = OpsTable.builder()
                .put(0, Op.nativeCode("fa", ClobberSet.none()))
                .put(1, Op.nativeCode("fb", ClobberSet.none()))
                .put(2, Op.call(0xc1200000L, ClobberSet.callerSaved(Isa.X86_32)))
                .build();

        PatchPlan plan = PatchPlan.of(code, sites, nativeOps);   // checks every site, writes nothing
        Journal journal = plan.apply();                          // writes all of them
        for (int i = 0; i < plan.size(); i++) {
            System.out.printf("%s  %-14s %s%n", plan.sites().get(i), plan.outcome(i),
                    HexFormat.ofDelimiter(" ").formatHex(plan.patchedBytes(i)));
        }
        journal.revert();                                        // the original bytes again
        // README-END
        assertEquals("51 52 ff 15 00 00 40 c0 5a 59", HexFormat.ofDelimiter(" ").formatHex(text, 0, 10));
        assertEquals("fa 0f 1f 84 00 00 00 00 00 90", HexFormat.ofDelimiter(" ").formatHex(plan.patchedBytes(0)));

        // VERIFY-BEGIN
        SiteVerifier verifier = SiteVerifier.of(form);   // disassembles with Zydis, through our JNI shim
        PatchOptions verified = PatchOptions.defaults().withCheck(verifier);
        Journal checked = PatchPlan.of(code, sites, nativeOps, verified).apply();   // each site checked first
        // VERIFY-END
        assertEquals("fa 0f 1f 84 00 00 00 00 00 90", HexFormat.ofDelimiter(" ").formatHex(text, 0, 10));
        checked.revert();
        text[0x10] ^= 0x01;   // push ecx (51) becomes push eax (50), and pop ecx (59) stays: no mirror
        PatchBug bug = assertThrows(PatchBug.class, () -> PatchPlan.of(code, sites, nativeOps, verified));
        System.out.println(bug.getMessage());
        assertEquals(Violation.ORIGINAL_MISMATCH, bug.violation());
        assertEquals(irqEnable, bug.site());
    }
}
