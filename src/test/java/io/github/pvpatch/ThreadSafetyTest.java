package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.SiteKind;
import static io.github.pvpatch.testing.Hex.of;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.x86.NopTable;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The thread-safety contracts of {@link Journal}, {@link PatchPlan#apply()} and {@link PatchPass}, raced. */
class ThreadSafetyTest {
    private static final long BASE = 0xffffffff81000000L;
    private static final UnpatchedForm FORM = UnpatchedForm.of(Isa.X86_64, 0xffffffff82000000L);
    private static final ClobberSet ANY = ClobberSet.linuxAny(Isa.X86_64);
    private static final int ROUNDS = 2_000;

    private final PatchSite a = FORM.site(BASE, 0, SiteKind.CALL, ANY, 0);
    private final PatchSite b = FORM.site(BASE + 8, 1, SiteKind.CALL, ANY, 2);
    private final OpsTable nativeOps = OpsTable.builder().put(0, Op.nativeCode("fa", ClobberSet.none()))
            .put(1, Op.nop()).build();
    private final OpsTable hypervisorOps = OpsTable.builder().put(0, Op.call(BASE + 0x100, ANY))
            .put(1, Op.call(BASE + 0x200, ANY)).build();
    private final ExecutorService threads = Executors.newFixedThreadPool(2);

    @AfterEach
    void stop() throws InterruptedException {
        threads.shutdownNow();
        assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
    }

    private byte[] unpatched() {
        byte[] text = new byte[32];
        FORM.encode(a, NopTable.P6, text, 0);
        FORM.encode(b, NopTable.P6, text, 8);
        return text;
    }

    /** {@return what {@code task} did: null when it returned normally, else what it threw} */
    private static Throwable outcome(Future<?> f) throws InterruptedException {
        try {
            f.get(10, TimeUnit.SECONDS);
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("a racing call did not finish", e);
        }
    }

    /** Sites enough that checking and writing a batch takes a while: the window a race needs. */
    private static final int MANY = 256;

    private static List<PatchSite> manySites() {
        List<PatchSite> sites = new java.util.ArrayList<>();
        for (int i = 0; i < MANY; i++) {
            sites.add(FORM.site(BASE + 16L * i, i & 1, SiteKind.CALL, ANY, 2));
        }
        return sites;
    }

    private static byte[] manyUnpatched(List<PatchSite> sites) {
        byte[] text = new byte[16 * MANY];
        for (PatchSite s : sites) {
            FORM.encode(s, NopTable.P6, text, (int) (s.address() - BASE));
        }
        return text;
    }

    private static void spin(long nanos) {
        long end = System.nanoTime() + nanos;
        while (System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }

    @Test
    void revertRacingRepatchLosesNoUpdate() throws Exception {
        List<PatchSite> sites = manySites();
        String original = of(manyUnpatched(sites));
        byte[] fresh = manyUnpatched(sites);
        PatchPlan.of(CodeBuffer.wrap(fresh, BASE), sites, hypervisorOps).apply();
        String repatched = of(fresh);
        // The revert starts somewhere within the time a re-patch takes to plan, so that over the
        // rounds the two checks-then-writes overlap in every way.
        long planNanos = System.nanoTime();
        for (int k = 0; k < 20; k++) {
            PatchPlan.of(CodeBuffer.wrap(fresh, BASE), sites, hypervisorOps);
        }
        planNanos = (System.nanoTime() - planNanos) / 20;
        java.util.Random random = new java.util.Random(12);
        int revertWon = 0;
        int repatchWon = 0;
        for (int round = 0; round < ROUNDS; round++) {
            byte[] text = manyUnpatched(sites);
            Journal j = PatchPlan.of(CodeBuffer.wrap(text, BASE), sites, nativeOps).apply();
            CyclicBarrier start = new CyclicBarrier(2);
            long delay = (long) (random.nextDouble() * 2 * planNanos);
            Future<?> revert = threads.submit(() -> {
                start.await();
                spin(delay);
                j.revert();
                return null;
            });
            Future<Journal> repatch = threads.submit(() -> {
                start.await();
                return j.repatch(hypervisorOps);
            });
            Throwable r = outcome(revert);
            Throwable p = outcome(repatch);
            // Exactly one wins; the other is told, and wrote nothing.
            assertTrue(r == null ^ p == null, "round " + round + ": revert " + r + ", repatch " + p);
            Throwable loser = r == null ? p : r;
            assertTrue(loser instanceof IllegalStateException, String.valueOf(loser));
            assertFalse(j.isLive());
            if (r == null) {
                revertWon++;
                assertEquals(original, of(text));
            } else {
                repatchWon++;
                assertEquals(repatched, of(text));
                Journal next = repatch.get();
                assertTrue(next.isLive());
                next.revert();
                assertEquals(original, of(text));
            }
        }
        assertEquals(ROUNDS, revertWon + repatchWon);
    }

    @Test
    void applyingOnePlanFromTwoThreadsWritesOnce() throws Exception {
        for (int round = 0; round < ROUNDS / 4; round++) {
            byte[] text = unpatched();
            PatchPlan plan = PatchPlan.of(CodeBuffer.wrap(text, BASE), List.of(a, b), nativeOps);
            CyclicBarrier start = new CyclicBarrier(2);
            Future<Journal> first = threads.submit(() -> {
                start.await();
                return plan.apply();
            });
            Future<Journal> second = threads.submit(() -> {
                start.await();
                return plan.apply();
            });
            Throwable x = outcome(first);
            Throwable y = outcome(second);
            assertTrue(x == null ^ y == null, "round " + round + ": " + x + ", " + y);
            assertTrue((x == null ? y : x) instanceof IllegalStateException);
            (x == null ? first : second).get().revert();
            assertEquals(of(unpatched()), of(text));
        }
    }

    @Test
    void aPassUsedFromTwoThreadsAtOnceFailsFast() throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Patcher blocking = (site, op, out) -> {
            inside.countDown();
            try {
                assertTrue(release.await(10, TimeUnit.SECONDS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Patcher.standard().patch(site, op, out);
        };
        PatchPass pass = PatchPass.of(PatchOptions.defaults().withPatcher(blocking));
        byte[] text = unpatched();
        CodeBuffer code = CodeBuffer.wrap(text, BASE);
        SiteTable table = SiteTable.of(Isa.X86_64, List.of(a));
        Future<Integer> busy = threads.submit(() -> pass.apply(code, table, nativeOps));
        assertTrue(inside.await(10, TimeUnit.SECONDS));
        byte[] other = unpatched();
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> pass.apply(CodeBuffer.wrap(other, BASE), table, nativeOps));
        assertTrue(e.getMessage().contains("in use by another thread"), e.getMessage());
        assertThrows(IllegalStateException.class, pass::revert);
        assertEquals(of(unpatched()), of(other), "the refused call wrote nothing");
        release.countDown();
        assertEquals(1, busy.get(10, TimeUnit.SECONDS));
        pass.revert();
        assertEquals(of(unpatched()), of(text));
    }
}
