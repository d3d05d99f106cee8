package io.github.pvpatch.outside;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.Journal;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.Violation;
import io.github.pvpatch.live.ByteRange;
import io.github.pvpatch.live.LiveHost;
import io.github.pvpatch.live.LivePlan;
import io.github.pvpatch.live.QuiescentPlan;
import io.github.pvpatch.live.TrapAction;
import io.github.pvpatch.live.WritePlan;
import io.github.pvpatch.verify.SiteVerifier;
import io.github.pvpatch.x86.NopTable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The README's examples, typed in by a reader from the README alone, with what the README says
 * they print or throw. Written independently of the project's own example tests.
 */
class OutsideReadmeTest {
    private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

    @Test
    void theExamplePrintsWhatTheReadmeSays() {
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
        byte[] original = text.clone();

        OpsTable nativeOps = OpsTable.builder()
                .put(0, Op.nativeCode("fa", ClobberSet.none()))
                .put(1, Op.nativeCode("fb", ClobberSet.none()))
                .put(2, Op.call(0xc1200000L, ClobberSet.callerSaved(Isa.X86_32)))
                .build();

        PatchPlan plan = PatchPlan.of(code, sites, nativeOps);
        assertArrayEquals(original, text, "planning writes nothing");
        Journal journal = plan.apply();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < plan.size(); i++) {
            out.append(String.format("%s  %-14s %s%n", plan.sites().get(i), plan.outcome(i),
                    HEX.formatHex(plan.patchedBytes(i))));
        }
        String expected = String.format(
                "site=0xc1000000 len=10 type=0 clobbers=[eax] callOffset=2  INLINE_NATIVE  fa 0f 1f 84 00 00 00 00 00 90%n"
                + "site=0xc1000010 len=10 type=1 clobbers=[eax] callOffset=2  INLINE_NATIVE  fb 0f 1f 84 00 00 00 00 00 90%n"
                + "site=0xc1000020 len=6 type=2 clobbers=[eax,ecx,edx,edi] callOffset=0  DIRECT_CALL    e8 db ff 1f 00 90%n");
        assertEquals(expected, out.toString());
        // the README's comment on the first site: 51 52 ff 15 .. 5a 59
        assertEquals("51 52 ff 15", HEX.formatHex(original, 0, 4));
        assertEquals("5a 59", HEX.formatHex(original, 8, 10));
        for (int i = 0; i < plan.size(); i++) {
            int off = (int) (plan.sites().get(i).address() - 0xc1000000L);
            assertArrayEquals(plan.patchedBytes(i), Arrays.copyOfRange(text, off, off + plan.sites().get(i).length()));
        }
        journal.revert();
        assertArrayEquals(original, text, "revert gives the original bytes again");

        // Checking sites with a disassembler
        SiteVerifier verifier = SiteVerifier.of(form);
        PatchOptions verified = PatchOptions.defaults().withCheck(verifier);
        Journal checked = PatchPlan.of(code, sites, nativeOps, verified).apply();
        assertEquals(expected, printed(checked.plan()));
        checked.revert();
        assertArrayEquals(original, text);

        // push ecx -> push eax at the second site: refused, naming the site and the instruction
        text[0x10] = 0x50;
        byte[] tampered = text.clone();
        PatchBug bug = assertThrows(PatchBug.class, () -> PatchPlan.of(code, sites, nativeOps, verified).apply());
        assertEquals("violation=ORIGINAL_MISMATCH site=0xc1000010 len=10 type=1 clobbers=[eax] callOffset=2 needed=0 "
                + "available=0: unpatched bytes 50 52 ff 15 04 00 40 c0 5a 59: expected pop eax to mirror the push "
                + "of it, found 'pop ecx' at +9", bug.getMessage());
        assertArrayEquals(tampered, text, "a refused plan writes nothing");
    }

    private static String printed(PatchPlan plan) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < plan.size(); i++) {
            out.append(String.format("%s  %-14s %s%n", plan.sites().get(i), plan.outcome(i),
                    HEX.formatHex(plan.patchedBytes(i))));
        }
        return out.toString();
    }

    @Test
    void theSavesDoNotFitMessageIsTheReadmes() {
        // "A site that cannot take its op throws before anything is written": a 6-byte site keeping
        // ecx and edx, whose op is a C call that destroys them.
        UnpatchedForm form = UnpatchedForm.of(Isa.X86_32, 0xc0400000L);
        PatchSite site = form.site(0xc1000000L, 0, SiteKind.CALL, ClobberSet.of(Register.EAX), 0);
        byte[] text = new byte[0x10];
        form.encode(site, NopTable.P6, text, 0);
        PatchSite shortSite = PatchSite.of(Isa.X86_32, 0xc1000000L, 6, 0, ClobberSet.of(Register.EAX));
        byte[] direct = text.clone();
        // a plain ff 15 disp32 at the start of the 6-byte site
        System.arraycopy(new byte[] {(byte) 0xff, 0x15, 0x00, 0x00, 0x40, (byte) 0xc0}, 0, direct, 0, 6);
        byte[] before = direct.clone();
        OpsTable ops = OpsTable.builder().put(0, Op.call(0xc1200000L, ClobberSet.callerSaved(Isa.X86_32))).build();
        PatchBug bug = assertThrows(PatchBug.class,
                () -> PatchPlan.of(CodeBuffer.wrap(direct, 0xc1000000L), List.of(shortSite), ops));
        assertEquals(Violation.SAVES_DO_NOT_FIT, bug.violation());
        assertEquals("violation=SAVES_DO_NOT_FIT site=0xc1000000 len=6 type=0 clobbers=[eax] needed=9 available=6 "
                + "registers=[ecx,edx]: direct call needs saves of registers the site keeps", bug.getMessage());
        assertArrayEquals(before, direct);
    }

    @Test
    void theLiveExampleDoesWhatItsCommentsSay() {
        byte[] ram = new byte[0x100];
        Arrays.fill(ram, (byte) 0x90);
        UnpatchedForm form = UnpatchedForm.of(Isa.X86_64, 0x10100000L);
        PatchSite site = form.site(0x10000040L, 0, SiteKind.CALL, ClobberSet.callerSaved(Isa.X86_64), 0);
        form.encode(site, NopTable.P6, ram, 0x40);
        List<PatchSite> sites = List.of(site);
        OpsTable ops = OpsTable.builder().put(0, Op.call(0x401000L, ClobberSet.of(Register.RAX), true)).build();

        PatchPlan plan = PatchPlan.of(CodeBuffer.wrap(ram, 0x10000000L), sites, ops);   // ff 15 disp32 -> e8 rel32 90
        assertEquals("ff 15", HEX.formatHex(ram, 0x40, 0x42));
        List<ByteRange> invalidated = new ArrayList<>();
        List<String> log = new ArrayList<>();
        LiveHost host = new LiveHost() {
            @Override
            public void write(long address, byte[] bytes) {
                System.arraycopy(bytes, 0, ram, (int) (address - 0x10000000L), bytes.length);
                invalidated.add(new ByteRange(address, bytes.length));
                log.add("write " + Long.toHexString(address) + " " + HEX.formatHex(bytes));
            }

            @Override
            public void sync() {
                log.add("sync");
            }
        };
        WritePlan patch = WritePlan.patch(plan);
        LivePlan live = patch.requireLive();
        live.execute(host);
        assertEquals("e8", HEX.formatHex(ram, 0x40, 0x41));
        assertEquals((byte) 0x90, ram[0x45]);
        assertArrayEquals(plan.patchedBytes(0), Arrays.copyOfRange(ram, 0x40, 0x46));
        assertEquals(List.of("write 10000040 cc", "sync", "write 10000041 " + HEX.formatHex(ram, 0x41, 0x46), "sync",
                "write 10000040 e8", "sync"), log, "int3, sync, tail, sync, first byte, sync");
        // writtenRanges() covers exactly the bytes the host was told to write (merged or not)
        java.util.Set<Long> told = new java.util.TreeSet<>();
        invalidated.forEach(r -> java.util.stream.LongStream.range(r.address(), r.end()).forEach(told::add));
        java.util.Set<Long> listed = new java.util.TreeSet<>();
        live.writtenRanges().forEach(r -> java.util.stream.LongStream.range(r.address(), r.end()).forEach(listed::add));
        assertEquals(told, listed);
        TrapAction onTrap = live.resolve(0x10000040L);
        assertEquals(new TrapAction.EmulateCall(0x401000L, 0x10000046L), onTrap);
        assertEquals("EmulateCall[target=0x401000 return=0x10000046]", onTrap.toString());

        WritePlan revert = patch.after().toOriginal();
        QuiescentPlan stopped = assertInstanceOf(QuiescentPlan.class, revert,
                "a call in progress returns to site+5: mid-instruction");
        assertEquals(Violation.LIVE_BOUNDARY_CHANGED, stopped.violations().get(0).violation());
        stopped.executeStopped(host);
        assertArrayEquals(plan.originalBytes(0), Arrays.copyOfRange(ram, 0x40, 0x46));
        assertTrue(revert.after().isOriginal());
    }
}
