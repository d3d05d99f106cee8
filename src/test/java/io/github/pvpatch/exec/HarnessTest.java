package io.github.pvpatch.exec;

import static io.github.pvpatch.testing.Hex.bytes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.testing.Hex;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The harness itself: it runs what it is given, survives what crashes, and reports faithfully. */
class HarnessTest {
    private static final long[] REGS = {0x1111, 0x2222, 0x3333, 0x4444, 0, 0x6666, 0x7777, 0x8888, 0x9999, 0xaaaa,
        0xbbbb, 0xcccc, 0xdddd, 0xeeee, 0xffff, 0x1010};

    @ParameterizedTest
    @EnumSource(Isa.class)
    void faultsAndEndlessLoopsAreThatCasesResultAndTheNextCaseRuns(Isa isa) {
        try (Harness h = Harness.start(isa)) {
            PatchSite site = PatchSite.of(isa, h.codeBase + 0x200, 6, 0, ClobberSet.all(isa));
            OpsTable none = OpsTable.empty();
            String nops = "66 0f 1f 44 00 00";
            List<Harness.Result> r = h.run(List.of(
                    new Harness.Case(site, bytes(nops), bytes("0f 0b 90 90 90 90"), REGS, none),     // ud2
                    new Harness.Case(site, bytes(nops), bytes("e9 00 00 00 f0 90"), REGS, none),     // jmp far away
                    new Harness.Case(site, bytes(nops), bytes("eb fe 90 90 90 90"), REGS, none),     // loops
                    new Harness.Case(site, bytes(nops), bytes("cc 90 90 90 90 90"), REGS, none),     // int3
                    new Harness.Case(site, bytes(nops), bytes(nops), REGS, none)));
            assertEquals(List.of(4, 11, 14, 5, 0), r.stream().map(x -> x.patched().signal()).toList());
            for (Harness.Result x : r) {
                assertEquals(0, x.original().signal());
            }
            Harness.Run ok = r.get(4).patched();
            for (int reg = 0; reg < isa.registerCount(); reg++) {
                assertEquals(reg == 4 ? h.stackStart : REGS[reg], ok.regs()[reg], "register " + reg);
            }
            assertTrue(Differential.mismatch(r.get(0)).contains("signal 4"));
            assertNull(Differential.mismatch(r.get(4)));
        }
    }

    @ParameterizedTest
    @EnumSource(Isa.class)
    void stubsRecordArgumentsPoisonTheirClobbersAndReturnAValue(Isa isa) {
        try (Harness h = Harness.start(isa)) {
            UnpatchedForm form = UnpatchedForm.of(isa, h.tableBase);
            PatchSite site = form.site(h.codeBase + 0x200, 2, io.github.pvpatch.arch.SiteKind.CALL, ClobberSet.all(isa), 0)
                    .withStackArguments(2);
            ClobberSet clobbers = ClobberSet.of(Register.RAX, Register.RCX);
            OpsTable ops = OpsTable.builder().put(2, Op.call(h.stub(2), clobbers, true)).build();
            byte[] code = form.encode(site);
            Harness.Run run = h.run(List.of(new Harness.Case(site, code, code, REGS, ops))).get(0).original();
            assertEquals(0, run.signal());
            assertEquals(1, run.callCount());
            Harness.Call call = run.calls().get(0);
            assertEquals(2, call.slot());
            assertTrue(call.enteredExactly());
            assertEquals(isa == Isa.X86_64 ? 0x8888 : 0x1111, call.args()[0], "first argument: rdi or eax");
            // The caller's frame holds the pattern pvexec writes: the stack arguments.
            long slotSize = isa.pointerSize();
            long pattern = isa == Isa.X86_64 ? 0x5A5A5A5A5A000000L : 0x5A000000L;
            assertEquals(pattern | (h.stackStart - 0x10300000L), call.stack()[0]);
            assertEquals(pattern | (h.stackStart + slotSize - 0x10300000L), call.stack()[1]);
            assertEquals(isa == Isa.X86_64 ? 0xdeadbeefc0de0001L : 0xc0de0001L, run.regs()[1], "rcx poisoned");
            assertFalse(run.regs()[0] == REGS[0], "rax holds the return value");
            assertEquals(REGS[2], run.regs()[2], "rdx is not the op's to destroy");
            // The caller's frame is reported as it is after the run: still the pattern, little-endian.
            long first = 0;
            for (int i = isa.pointerSize() - 1; i >= 0; i--) {
                first = first << 8 | (run.callerStack()[i] & 0xFF);
            }
            assertEquals(call.stack()[0], first, Hex.of(run.callerStack()));
        }
    }
}
