package io.github.pvpatch.live;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.testing.HarnessPipe;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * Drives {@code pvlive} (src/test/c/pvlive.c) for one ISA: lays out three batches of sites in its
 * code page (call sites, NOP sites, native sites), plans their patches, re-patches and reverts
 * with the live API, sends the plans, and reads what the workers saw.
 *
 * <p>The cycle the patcher repeats, after patching the call and native batches once:
 * NOP sites patched (live), call sites re-patched A to B (live), native sites re-patched to
 * another native (live), NOP sites reverted (live), call sites B to A, natives back (live), call
 * and native sites reverted (quiescent: the API refuses them live, so the harness parks every
 * worker), call and native sites patched again (live).
 */
final class LiveHarness {
    static final int SEM_CALL = 0, SEM_NOP = 1, SEM_NATIVE = 2;
    static final int FORCE_FALLBACK = 1, STOP_EARLY = 2;

    /** One plan as the harness runs it. */
    record Plan(String name, boolean quiescent, List<Step> steps, Map<Long, TrapAction> traps) {
        static Plan of(String name, WritePlan w) {
            Map<Long, TrapAction> traps = new HashMap<>();
            if (w instanceof LivePlan live) {
                for (long a : live.trapAddresses()) {
                    traps.put(a, live.resolve(a));
                }
            }
            return new Plan(name, w instanceof QuiescentPlan, w.steps(), traps);
        }
    }

    /** What one run reported. */
    record Result(Isa isa, int threads, long execs, long plans, long quiescent, long faults, long wrong, long traps,
            long emulated, long retried, long late, String sync, long ms, String line) {
    }

    /** The scenario: sites with their original bytes and semantics, the plans, the cycle start. */
    static final class Scenario {
        final Isa isa;
        final long[] slots;
        final List<PatchSite> sites = new ArrayList<>();
        final List<Integer> semantics = new ArrayList<>();
        final List<byte[]> original = new ArrayList<>();
        final List<Plan> plans = new ArrayList<>();
        int cycleStart;
        final Map<String, WritePlan> byName = new HashMap<>();

        Scenario(Isa isa, long[] slots) {
            this.isa = isa;
            this.slots = slots;
        }
    }

    private final Isa isa;
    private final HarnessPipe pipe;
    private final Process process;
    private final OutputStream out;
    private final DataInputStream in;
    final long codeBase;
    final long tableBase;
    final long stubA;
    final long stubB;
    final long stubNop;

    private LiveHarness(Isa isa, HarnessPipe pipe) throws IOException {
        this.isa = isa;
        this.pipe = pipe;
        this.process = pipe.process();
        this.out = pipe.out();
        this.in = pipe.in();
        codeBase = pipe.u64();
        pipe.u32();
        tableBase = pipe.u64();
        stubA = pipe.u64();
        stubB = pipe.u64();
        stubNop = pipe.u64();
    }

    private static final long MAGIC = 0x314C5650;

    /**
     * {@return the ISAs whose harness runs on this CPU, x86-64 first} The i386 harness is left out,
     * with a line saying why, where this kernel runs no 32-bit programs: under QEMU's user-mode
     * emulator (which runs the other harnesses then) it faults outside any site, because QEMU
     * translates code in blocks that a write from another thread does not stop, so it keeps none
     * of the cross-modifying-code guarantees this harness tests.
     */
    static List<Isa> isasOnTheCpu() {
        if (!HarnessPipe.emulated("pvlive", Isa.X86_32, MAGIC)) {
            return List.of(Isa.X86_64, Isa.X86_32);
        }
        System.out.println("live i386: not run: this kernel runs no 32-bit programs (no IA32 emulation), and"
                + " QEMU's user-mode emulator does not keep x86's cross-modifying-code rules");
        return List.of(Isa.X86_64);
    }

    static LiveHarness start(Isa isa) {
        HarnessPipe pipe = HarnessPipe.start("pvlive", isa, MAGIC);
        try {
            return new LiveHarness(isa, pipe);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@return the standard scenario: three batches of {@code perBatch} sites each} */
    Scenario scenario(int perBatch) {
        Scenario s = new Scenario(isa, new long[] {stubA, stubNop, stubA});
        ClobberSet callerSaved = ClobberSet.callerSaved(isa);
        UnpatchedForm form = UnpatchedForm.of(isa, tableBase).withSlotClobbers(callerSaved);
        byte[] text = new byte[0x1000];
        java.util.Arrays.fill(text, (byte) 0xCC);
        CodeBuffer code = CodeBuffer.wrap(text, codeBase);
        List<List<PatchSite>> batches = new ArrayList<>();
        long at = codeBase + 64;
        for (int type = 0; type < 3; type++) {
            List<PatchSite> batch = new ArrayList<>();
            for (int i = 0; i < perBatch; i++) {
                PatchSite site = form.site(at, type, SiteKind.CALL, callerSaved, 0);
                byte[] body = form.encode(site);
                System.arraycopy(body, 0, text, (int) (at - codeBase), body.length);
                s.sites.add(site);
                s.semantics.add(type);
                s.original.add(body);
                batch.add(site);
                at += 16;
            }
            batches.add(batch);
        }
        boolean x64 = isa == Isa.X86_64;
        ClobberSet ax = ClobberSet.of(Register.RAX);
        OpsTable callA = OpsTable.builder().put(0, Op.call(stubA, ax, true)).build();
        OpsTable callB = OpsTable.builder().put(0, Op.call(stubB, ax, true)).build();
        OpsTable nop = OpsTable.builder().put(1, Op.nop()).build();
        OpsTable mov = OpsTable.builder().put(2, Op.nativeCode(x64 ? "48 89 f8" : "89 f8", ax)).build();
        OpsTable lea = OpsTable.builder().put(2, Op.nativeCode(x64 ? "48 8d 07" : "8d 07", ax)).build();
        PatchOptions options = PatchOptions.defaults();
        PatchPlan calls = PatchPlan.of(code, batches.get(0), callA, options);
        PatchPlan nops = PatchPlan.of(code, batches.get(1), nop, options);
        PatchPlan natives = PatchPlan.of(code, batches.get(2), mov, options);

        WritePlan callPatch = WritePlan.patch(calls);
        WritePlan callAB = callPatch.after().toOps(callB, options);
        WritePlan callBA = callAB.after().toOps(callA, options);
        WritePlan callRevert = callBA.after().toOriginal();
        WritePlan nativePatch = WritePlan.patch(natives);
        WritePlan nativeMovLea = nativePatch.after().toOps(lea, options);
        WritePlan nativeLeaMov = nativeMovLea.after().toOps(mov, options);
        WritePlan nativeRevert = nativeLeaMov.after().toOriginal();
        WritePlan nopPatch = WritePlan.patch(nops);
        WritePlan nopRevert = nopPatch.after().toOriginal();
        String[] names = {"call-patch", "native-patch", "nop-patch", "call-repatch-ab", "native-repatch-mov-lea",
            "nop-revert", "call-repatch-ba", "native-repatch-lea-mov", "call-revert", "native-revert", "call-patch",
            "native-patch"};
        WritePlan[] order = {callPatch, nativePatch, nopPatch, callAB, nativeMovLea, nopRevert, callBA, nativeLeaMov,
            callRevert, nativeRevert, callPatch, nativePatch};
        for (int i = 0; i < order.length; i++) {
            s.plans.add(Plan.of(names[i], order[i]));
            s.byName.put(names[i], order[i]);
        }
        s.cycleStart = 2;
        return s;
    }

    /** {@return the name of the plan a harness fault line gives as {@code plan=K}} */
    private static String planName(List<Plan> plans, String faultLine) {
        for (String part : faultLine.split(" ")) {
            if (part.startsWith("plan=")) {
                int k = Integer.parseInt(part.substring(5));
                return k < plans.size() ? "during " + plans.get(k).name() : "no such plan";
            }
        }
        return "plan unknown";
    }

    /** Runs {@code s} with its plans passed through {@code edit}; returns the harness's report. */
    Result run(Scenario s, UnaryOperator<List<Plan>> edit, int workers, long minPlans, long minExecs, int maxMs,
            int flags, int stubPauses) {
        List<Plan> plans = edit.apply(s.plans);
        try {
            pipe.u32(workers);
            pipe.u32(minPlans);
            pipe.u64(minExecs);
            pipe.u32(maxMs);
            pipe.u32(flags);
            pipe.u32(stubPauses);
            pipe.u32(s.slots.length);
            for (long slot : s.slots) {
                pipe.u64(slot);
            }
            pipe.u32(s.sites.size());
            for (int i = 0; i < s.sites.size(); i++) {
                pipe.u64(s.sites.get(i).address());
                out.write(s.sites.get(i).length());
                out.write(s.semantics.get(i));
                out.write(s.original.get(i));
            }
            pipe.u32(plans.size());
            pipe.u32(s.cycleStart);
            for (Plan p : plans) {
                out.write(p.quiescent() ? 1 : 0);
                pipe.u32(p.steps().size());
                for (Step step : p.steps()) {
                    out.write(step.isSync() ? 1 : 0);
                    pipe.u64(step.address());
                    out.write(step.length());
                    out.write(step.bytes());
                }
                pipe.u32(p.traps().size());
                for (Map.Entry<Long, TrapAction> t : p.traps().entrySet()) {
                    pipe.u64(t.getKey());
                    TrapAction a = t.getValue();
                    if (a instanceof TrapAction.EmulateCall c) {
                        out.write(1);
                        pipe.u64(c.target());
                        pipe.u64(c.returnAddress());
                    } else if (a instanceof TrapAction.EmulateJump j) {
                        out.write(2);
                        pipe.u64(j.target());
                        pipe.u64(0);
                    } else if (a instanceof TrapAction.SkipTo k) {
                        out.write(3);
                        pipe.u64(k.address());
                        pipe.u64(0);
                    } else {
                        out.write(4);
                        pipe.u64(0);
                        pipe.u64(0);
                    }
                }
            }
            out.flush();
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            // First a line per worker that faulted (what, where, during which plan), then the totals.
            StringBuilder faults = new StringBuilder();
            String line = r.readLine();
            while (line != null && line.startsWith("fault ")) {
                faults.append('\n').append(line).append(" (").append(planName(plans, line)).append(')');
                line = r.readLine();
            }
            process.waitFor(10, TimeUnit.SECONDS);
            if (line == null || !line.startsWith("live ")) {
                throw new IllegalStateException("pvlive (" + isa + ") reported nothing: " + pipe.exitStatus() + faults);
            }
            Map<String, String> kv = new HashMap<>();
            for (String part : line.substring(5).split(" ")) {
                int eq = part.indexOf('=');
                kv.put(part.substring(0, eq), part.substring(eq + 1));
            }
            return new Result(isa, Integer.parseInt(kv.get("threads")), Long.parseLong(kv.get("execs")),
                    Long.parseLong(kv.get("plans")), Long.parseLong(kv.get("quiescent")),
                    Long.parseLong(kv.get("faults")), Long.parseLong(kv.get("wrong")), Long.parseLong(kv.get("traps")),
                    Long.parseLong(kv.get("emulated")), Long.parseLong(kv.get("retried")),
                    Long.parseLong(kv.get("late")), kv.get("sync"), Long.parseLong(kv.get("ms")), line + faults);
        } catch (IOException e) {
            throw new UncheckedIOException("pvlive (" + isa + ") stopped: " + pipe.exitStatus(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            process.destroyForcibly();
        }
    }
}
