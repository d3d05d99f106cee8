package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.x86.NopTable;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Every {@link Violation}'s message shows its numbers in their unit: addresses in hex, register
 * masks by name, displacements in signed hex, lengths and counts in decimal. Each kind is raised
 * for real where the library raises it, and its whole message is checked.
 */
class PatchBugMessageTest {
    private static final long BASE = 0xffffffff81000000L;
    /** Callee-save slots: a site that keeps everything but rax needs no saves, so it is 7 bytes. */
    private static final UnpatchedForm FORM64 = UnpatchedForm.of(Isa.X86_64, 0xffffffff82000000L)
            .withSlotClobbers(ClobberSet.of(Register.RAX));
    private static final ClobberSet ANY = ClobberSet.linuxAny(Isa.X86_64);
    /** A decimal number of 5 or more digits, or a negative one, after needed= or available=. */
    private static final Pattern RAW = Pattern.compile("(needed|available)=(-?\\d{5,}|-\\d+)\\b");

    private static PatchBug bug(Violation v) {
        byte[] text = new byte[64];
        CodeBuffer code = CodeBuffer.wrap(text, BASE);
        PatchSite call = FORM64.site(BASE, 3, SiteKind.CALL, ClobberSet.of(Register.RAX), 0);
        FORM64.encode(call, NopTable.P6, text, 0);
        OpsTable none = OpsTable.empty();
        switch (v) {
            case SITE_TOO_SHORT:
                return plan(code, List.of(PatchSite.of(Isa.X86_64, BASE, 4, 3, ANY)), none);
            case SITE_OUTSIDE_BUFFER:
                return plan(code, List.of(PatchSite.of(Isa.X86_64, BASE + 60, 7, 3, ANY)), none);
            case SITES_OVERLAP:
                return plan(code, List.of(PatchSite.of(Isa.X86_64, BASE, 7, 3, ANY),
                        PatchSite.of(Isa.X86_64, BASE + 6, 7, 3, ANY)), none);
            case OP_MISSING:
                return plan(code, List.of(call), none);
            case OP_KIND_MISMATCH:
                return plan(code, List.of(call), OpsTable.builder().put(3, Op.jump(BASE + 0x40)).build());
            case CODE_TOO_LONG:
                return plan(code, List.of(call), OpsTable.builder()
                        .put(3, Op.nativeCode("48 8b 05 00 01 00 00 90", ClobberSet.of(Register.RAX))).build());
            case NATIVE_CLOBBERS_KEPT_REGISTER:
                return plan(code, List.of(call), OpsTable.builder()
                        .put(3, Op.nativeCode("31 c9", ClobberSet.of(Register.RCX, Register.R9))).build());
            case SAVES_DO_NOT_FIT:
                return plan(code, List.of(call), OpsTable.builder()
                        .put(3, Op.call(BASE + 0x1000, ClobberSet.of(Register.RAX, Register.RCX, Register.RDX))).build());
            case SAVES_WITH_STACK_ARGUMENTS: {
                PatchSite wide = FORM64.site(BASE, 3, SiteKind.CALL, ClobberSet.of(Register.RAX), 6)
                        .withStackArguments(1);
                FORM64.encode(wide, NopTable.P6, text, 0);
                return plan(code, List.of(wide), OpsTable.builder()
                        .put(3, Op.call(BASE + 0x1000, ClobberSet.of(Register.RAX, Register.RCX))).build());
            }
            case TARGET_OUT_OF_REACH:
                return plan(code, List.of(call), OpsTable.builder()
                        .put(3, Op.call(BASE - 0x1_0000_0000L, ClobberSet.of(Register.RAX))).build());
            case ORIGINAL_MISMATCH: {
                // The verifier expects the slot of another table than the one the site reads.
                PatchOptions verified = PatchOptions.defaults().withCheck(io.github.pvpatch.verify.SiteVerifier.of(
                        UnpatchedForm.of(Isa.X86_64, 0xffffffff83000000L)));
                return assertThrows(PatchBug.class, () -> PatchPlan.of(code, List.of(call), OpsTable.builder()
                        .put(3, Op.nop()).build(), verified));
            }
            case OUTPUT_MISMATCH:
                return PatchBug.of(Violation.OUTPUT_MISMATCH, call, 0, 0, "a site left unpatched has new bytes");
            case LIVE_BOUNDARY_CHANGED:
                return PatchBug.of(Violation.LIVE_BOUNDARY_CHANGED, call, 5, 5,
                        "point=0xffffffff81000005 (return address of the call at 0xffffffff81000000)");
            default:
                throw new AssertionError("no example of " + v);
        }
    }

    private static PatchBug plan(CodeBuffer code, List<PatchSite> sites, OpsTable ops) {
        return assertThrows(PatchBug.class, () -> PatchPlan.of(code, sites, ops));
    }

    @Test
    void everyViolationShowsItsNumbersInTheirUnit() {
        String site = "site=0xffffffff81000000 len=6 type=3 clobbers=[rax]";
        Map<Violation, String> want = new EnumMap<>(Violation.class);
        want.put(Violation.SITE_TOO_SHORT, "violation=SITE_TOO_SHORT site=0xffffffff81000000 len=4 type=3 clobbers="
                + ANY + " needed=6 available=4: the site is shorter than the indirect call it must have held");
        want.put(Violation.SITE_OUTSIDE_BUFFER, "violation=SITE_OUTSIDE_BUFFER site=0xffffffff8100003c len=7 type=3"
                + " clobbers=" + ANY + " needed=7 available=4: the site is not inside"
                + " CodeBuffer[0xffffffff81000000,0xffffffff81000040)");
        want.put(Violation.SITES_OVERLAP, "violation=SITES_OVERLAP site=0xffffffff81000006 len=7 type=3 clobbers="
                + ANY + " needed=0xffffffff81000007 available=0xffffffff81000006: the site shares bytes with");
        want.put(Violation.OP_MISSING, "violation=OP_MISSING " + site + " callOffset=0 needed=3 available=-1: the ops"
                + " table has no op for type=3");
        want.put(Violation.OP_KIND_MISMATCH, "violation=OP_KIND_MISMATCH " + site + " callOffset=0 needed=0"
                + " available=0: a jump op needs a jump site: control would not return (op: jmp 0xffffffff81000040)");
        want.put(Violation.CODE_TOO_LONG, "violation=CODE_TOO_LONG " + site + " callOffset=0 needed=8 available=6: native code is longer than the site");
        want.put(Violation.NATIVE_CLOBBERS_KEPT_REGISTER, "violation=NATIVE_CLOBBERS_KEPT_REGISTER " + site
                + " callOffset=0 needed=[rcx,r9] available=[rax] registers=[rcx,r9]: native code clobbers registers the site keeps");
        want.put(Violation.SAVES_DO_NOT_FIT, "violation=SAVES_DO_NOT_FIT " + site + " callOffset=0 needed=9"
                + " available=6 registers=[rcx,rdx]: direct call needs saves of registers the site keeps");
        want.put(Violation.SAVES_WITH_STACK_ARGUMENTS, "violation=SAVES_WITH_STACK_ARGUMENTS site=0xffffffff81000000"
                + " len=12 type=3 clobbers=[rax] callOffset=0 stackArgs=1 needed=2 available=0 registers=[rcx]: saving"
                + " registers the site keeps would push over 1 stack argument(s)");
        want.put(Violation.TARGET_OUT_OF_REACH, "violation=TARGET_OUT_OF_REACH " + site + " callOffset=0"
                + " needed=-0x100000005 available=-0x80000000: rel32 at 0xffffffff81000000 cannot reach"
                + " target=0xfffffffe81000000");
        want.put(Violation.ORIGINAL_MISMATCH, "violation=ORIGINAL_MISMATCH " + site + " callOffset=0 needed=0"
                + " available=0: unpatched bytes ff 15 ");
        want.put(Violation.OUTPUT_MISMATCH, "violation=OUTPUT_MISMATCH " + site + " callOffset=0 needed=0"
                + " available=0: a site left unpatched has new bytes");
        want.put(Violation.LIVE_BOUNDARY_CHANGED, "violation=LIVE_BOUNDARY_CHANGED " + site + " callOffset=0 needed=5"
                + " available=5: point=0xffffffff81000005 (return address of the call at 0xffffffff81000000)");
        assertEquals(List.of(Violation.values()), List.copyOf(want.keySet()), "every kind has an expected message");
        for (Violation v : Violation.values()) {
            PatchBug b = bug(v);
            assertEquals(v, b.violation(), b.getMessage());
            assertTrue(b.getMessage().startsWith(want.get(v)), "\n got: " + b.getMessage() + "\nwant: " + want.get(v));
            Matcher raw = RAW.matcher(b.getMessage());
            assertFalse(raw.find() && !b.getMessage().contains("available=-1:"), b.getMessage());
        }
    }

    @Test
    void theReportedOverlapNoLongerPrintsSignedDecimals() {
        // x86-32 addresses, the example: needed=-2130706426 before.
        PatchSite first = PatchSite.of(Isa.X86_32, 0x81000000L, 6, 1, ClobberSet.linuxAny(Isa.X86_32));
        PatchSite second = PatchSite.of(Isa.X86_32, 0x81000004L, 6, 1, ClobberSet.linuxAny(Isa.X86_32));
        PatchBug b = plan(CodeBuffer.wrap(new byte[32], 0x81000000L), List.of(first, second), OpsTable.empty());
        assertTrue(b.getMessage().contains("needed=0x81000006 available=0x81000004"), b.getMessage());
        assertEquals(0x81000006L, b.needed(), "the numbers themselves are unchanged");
    }

    @Test
    void registerMasksAreNamedInTheSitesIsa() {
        PatchSite site = PatchSite.of(Isa.X86_32, 0xc1000000L, 6, 1, ClobberSet.of(Register.EAX));
        PatchBug b = PatchBug.of(Violation.NATIVE_CLOBBERS_KEPT_REGISTER, site, ClobberSet.of(Register.ECX).bits(),
                site.clobbers().bits(), ClobberSet.of(Register.ECX), "why");
        assertTrue(b.getMessage().contains("needed=[ecx] available=[eax] registers=[ecx]: why"), b.getMessage());
        // A number that is no register mask is shown in hex rather than misnamed.
        PatchBug odd = PatchBug.of(Violation.NATIVE_CLOBBERS_KEPT_REGISTER, site, 1 << 4, -1, "why");
        assertTrue(odd.getMessage().contains("needed=0x10 available=0xffffffffffffffff"), odd.getMessage());
    }
}
