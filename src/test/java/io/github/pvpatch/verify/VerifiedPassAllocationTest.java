package io.github.pvpatch.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.CodeBuffer;
import io.github.pvpatch.Op;
import io.github.pvpatch.OpsTable;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPass;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.SiteCheck;
import io.github.pvpatch.SiteTable;
import io.github.pvpatch.Strategy;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.x86.NopTable;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A verified pass allocates at most 64 bytes per site once warm (README, "Performance"): the
 * verifier decodes into per-thread buffers and reads the plan's arrays in place. Measured with
 * the thread's allocation counter over whole passes, the best of several: an allocation bound,
 * not a timing, so it holds on a loaded machine. The same pass through a check that takes
 * copies must measure above the bound, or the meter sees nothing.
 */
class VerifiedPassAllocationTest {
    private static final int SITES = 20_000;
    private static final double MAX_BYTES_PER_SITE = 64;

    @ParameterizedTest
    @EnumSource(Isa.class)
    void aWarmVerifiedPassAllocatesAtMost64BytesPerSite(Isa isa) {
        assumeTrue(ALLOCATED != null, "this JVM does not count allocated bytes per thread");
        long base = isa == Isa.X86_32 ? 0xc1000000L : 0xffffffff81000000L;
        UnpatchedForm form = UnpatchedForm.of(isa, base + 0x80_0000).withSlotClobbers(ClobberSet.none());
        ClobberSet ret = isa == Isa.X86_32 ? ClobberSet.of(Register.EAX, Register.EDX) : ClobberSet.of(Register.RAX);
        String mov = isa == Isa.X86_32 ? "89 f8" : "48 89 f8";
        OpsTable ops = OpsTable.builder().put(0, Op.nativeCode("fa", ClobberSet.none()))
                .put(1, Op.nativeCode("9c 58", ClobberSet.of(Register.RAX))).put(2, Op.nativeCode(mov, ret))
                .put(3, Op.call(base + 0x100_0000, ClobberSet.callerSaved(isa))).put(4, Op.nop()).build();
        int length = form.minimumLength(SiteKind.CALL, ClobberSet.linuxAny(isa));
        byte[] pristine = new byte[SITES * (length + 2)];
        SiteTable.Builder table = SiteTable.builder(isa, SITES);
        SplittableRandom rnd = new SplittableRandom(10);
        for (int i = 0; i < SITES; i++) {
            int type = rnd.nextInt(5);
            PatchSite site = form.site(base + (long) i * (length + 2), type, SiteKind.CALL,
                    type == 3 ? ClobberSet.linuxAny(isa) : ret, 0);
            form.encode(site, NopTable.P6, pristine, i * (length + 2));
            table.add(site);
        }
        SiteTable sites = table.build();
        byte[] text = pristine.clone();
        CodeBuffer code = CodeBuffer.wrap(text, base);
        SiteVerifier verifier = SiteVerifier.of(form);
        PatchPass verified = PatchPass.of(PatchOptions.defaults().withCheck(verifier));
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 40; round++) {
            System.arraycopy(pristine, 0, text, 0, text.length);
            long before = allocated();
            assertEquals(SITES, verified.apply(code, sites, ops));
            best = Math.min(best, (allocated() - before) / (double) SITES);
        }
        assertTrue(best <= MAX_BYTES_PER_SITE, isa + ": a warm verified pass allocates " + best + " B/site");
        assertEquals(Strategy.DIRECT_CALL, strategyOfFirst(verified, sites, 3));

        // Teeth: the same verifier behind the copying array forms must show the copies.
        SiteCheck copying = new SiteCheck() {
            @Override
            public void checkOriginal(PatchSite site, Op op, byte[] original) {
                verifier.checkOriginal(site, op, original);
            }

            @Override
            public void checkPatched(PatchSite site, Op op, Strategy strategy, byte[] original, byte[] patched) {
                verifier.checkPatched(site, op, strategy, original, patched);
            }
        };
        PatchPass copied = PatchPass.of(PatchOptions.defaults().withCheck(copying));
        double copiedBest = Double.MAX_VALUE;
        for (int round = 0; round < 10; round++) {
            System.arraycopy(pristine, 0, text, 0, text.length);
            long before = allocated();
            assertEquals(SITES, copied.apply(code, sites, ops));
            copiedBest = Math.min(copiedBest, (allocated() - before) / (double) SITES);
        }
        assertTrue(copiedBest > MAX_BYTES_PER_SITE, "three copies per site measured only " + copiedBest + " B/site");
    }

    private static Strategy strategyOfFirst(PatchPass pass, SiteTable sites, int type) {
        for (int i = 0; i < sites.size(); i++) {
            if (sites.type(i) == type) {
                return ((io.github.pvpatch.SiteOutcome.Patched) pass.outcome(i)).strategy();
            }
        }
        throw new AssertionError("no site of type " + type);
    }

    /** {@code com.sun.management.ThreadMXBean}, reached reflectively: the module does not read jdk.management. */
    private static final MethodHandle ALLOCATED = find();

    private static MethodHandle find() {
        try {
            Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                    .invoke(null);
            java.lang.reflect.Method m = Class.forName("com.sun.management.ThreadMXBean")
                    .getMethod("getCurrentThreadAllocatedBytes");
            return MethodHandles.publicLookup().unreflect(m).bindTo(bean);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    private static long allocated() {
        try {
            return (long) ALLOCATED.invoke();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
