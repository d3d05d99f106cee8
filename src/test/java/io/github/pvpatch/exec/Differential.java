package io.github.pvpatch.exec;

import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What "the patched site behaves like the original" means, checked on two runs from the same
 * registers: neither faults; every register the site keeps, the stack pointer, the op's result
 * (rax for a call that returns a value; every register a native sequence writes) are equal; the
 * caller's frame above the start (stack arguments included) is equal; and the ops were called
 * the same way: same slots, entered at exactly their first byte, with the same register and
 * stack arguments.
 */
public final class Differential {
    private Differential() {
    }

    /** {@return null when the runs agree, else what differs} */
    public static String mismatch(Harness.Result r) {
        Harness.Case c = r.input();
        PatchSite site = c.site();
        Isa isa = site.isa();
        Harness.Run a = r.original();
        Harness.Run b = r.patched();
        if (a.signal() != 0) {
            return "the ORIGINAL run died of signal " + a.signal() + ": the scenario is not runnable";
        }
        if (b.signal() != 0) {
            return "the patched run died of signal " + b.signal();
        }
        Op op = c.ops().op(site.type()).orElse(null);
        int compared = ~site.clobbers().bits();
        if (op instanceof Op.Native) {
            compared |= op.clobbers().bits();
        }
        if (op instanceof Op.Call && ((Op.Call) op).returnsValue()) {
            compared |= 1 << Register.RAX.encoding();
        }
        for (int reg = 0; reg < isa.registerCount(); reg++) {
            if ((compared & (1 << reg)) != 0 && a.regs()[reg] != b.regs()[reg]) {
                return Register.ofEncoding(reg).nameIn(isa) + ": original 0x" + Long.toHexString(a.regs()[reg])
                        + ", patched 0x" + Long.toHexString(b.regs()[reg]);
            }
        }
        if (!Arrays.equals(a.callerStack(), b.callerStack())) {
            return "the caller's frame above the start differs";
        }
        if (a.callCount() != b.callCount()) {
            return "op calls: original " + a.calls() + ", patched " + b.calls();
        }
        for (int i = 0; i < a.calls().size(); i++) {
            if (!a.calls().get(i).sameAs(b.calls().get(i))) {
                return "op call " + i + ": original " + a.calls().get(i) + ", patched " + b.calls().get(i);
            }
        }
        return null;
    }

    /** {@return the cases of a scenario patched with {@code options}: every site whose op exists} */
    public static List<Harness.Case> cases(ExecScenario s, PatchOptions options) {
        PatchPlan plan = PatchPlan.of(s.freshCode(), s.sites, s.ops, options.withNops(s.nops)
                .withMode(PatchOptions.Mode.LENIENT));
        return cases(s, plan, s.ops);
    }

    static List<Harness.Case> cases(ExecScenario s, PatchPlan plan, OpsTable ops) {
        List<Harness.Case> cases = new ArrayList<>();
        for (int i = 0; i < plan.size(); i++) {
            PatchSite site = plan.sites().get(i);
            // With no op the original calls through a null slot: nothing to compare against.
            if (ops.op(site.type()).isPresent()) {
                cases.add(new Harness.Case(site, plan.originalBytes(i), plan.patchedBytes(i), s.regs, ops));
            }
        }
        return cases;
    }
}
