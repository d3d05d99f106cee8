package io.github.pvpatch;

import static io.github.pvpatch.testing.Generators.examples;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.x86.Encodings;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

/**
 * The table loop's precomputed reach and displacement ({@code PatchEngine.Templates.Entry}'s
 * {@code reaches} and {@code fix}) against {@link Encodings#reachesRel32} and
 * {@link Encodings#rel32Displacement}, the rule every other path uses: for any template, any
 * branch offset and any row address, including the addresses either side of each edge of reach.
 */
class FastReachProperties {
    private static final long TWO_31 = 1L << 31;

    /** Row addresses: anywhere, or within a few bytes of an edge of the target's reach. */
    private static Gen<Long> addressNear(long target, int branchAt) {
        long base = target - branchAt - Encodings.BRANCH_REL32_LENGTH;
        Gen<Long> anywhere = longs().all();
        Gen<Long> nearLow = integers().between(-4, 4).map(d -> base - TWO_31 + d);
        Gen<Long> nearHigh = integers().between(-4, 4).map(d -> base + TWO_31 - 1 + d);
        Gen<Long> near32 = integers().between(-40, 40).map(d -> (1L << 32) + d);
        Gen<Long> nearZero = integers().between(-40, 40).map(d -> (long) d);
        return anywhere.mix(nearLow, 30).mix(nearHigh, 30).mix(near32, 30).mix(nearZero, 30);
    }

    private static PatchEngine.Templates.Entry entry(Isa isa, int branchAt, long target, long w0) {
        PatchEngine.Templates.Entry e = new PatchEngine.Templates.Entry();
        e.branchAt = branchAt;
        e.target = target;
        e.wide = true;
        e.w0 = w0;
        e.prepareFast(isa);
        return e;
    }

    @Test
    void aBranchReachesFromARowExactlyWhenTheEncodingRuleSaysSo() {
        AtomicLong reached = new AtomicLong();
        AtomicLong unreached = new AtomicLong();
        Gen<Long> targets = longs().all().mix(longs().between(0, 0xFFFF_FFFFL), 50);
        for (Isa isa : Isa.values()) {
            Gen<long[]> cases = targets.zip(integers().between(0, 27), (target, branchAt) -> new long[] {target, branchAt})
                    .flatMap(tb -> addressNear(tb[0], (int) tb[1]).map(a -> new long[] {tb[0], tb[1], a}));
            qt().withExamples(examples()).forAll(cases).checkAssert(t -> {
                long target = t[0];
                int branchAt = (int) t[1];
                long a = t[2];
                PatchEngine.Templates.Entry e = entry(isa, branchAt, target, 0);
                boolean want = Encodings.reachesRel32(isa, a + branchAt, target);
                String where = isa + " target=0x" + Long.toHexString(target) + " at=" + branchAt + " a=0x"
                        + Long.toHexString(a);
                // An i386 branch to a target past 4 GiB reaches from nowhere: the loop never takes it.
                assertEquals(isa != Isa.X86_32 || isa.isAddress(target), e.fast, where);
                assertEquals(want, e.fast && e.reaches(a), where);
                if (want) {
                    reached.incrementAndGet();
                    assertEquals(branchAt + 1, e.fixAt, where);
                    assertEquals((int) Encodings.rel32Displacement(a + branchAt, target), e.fix(a), where);
                } else {
                    unreached.incrementAndGet();
                }
            });
        }
        // Both answers were tested, often.
        assertTrue(reached.get() >= examples() / 4 && unreached.get() >= examples() / 4,
                () -> reached + " reached, " + unreached + " not");
    }

    @Test
    void withoutABranchEveryRowIsTakenAndTheFixRewritesTheFirstFourBytes() {
        for (Isa isa : Isa.values()) {
            qt().withExamples(examples()).forAll(longs().all(), longs().all()).checkAssert((w0, a) -> {
                PatchEngine.Templates.Entry e = entry(isa, -1, 0, w0);
                assertTrue(e.fast);
                assertTrue(e.reaches(a));
                assertEquals(0, e.fixAt);
                assertEquals((int) (long) w0, e.fix(a));
            });
        }
    }

    @Test
    void aTemplateLongerThanTheWordsIsNeverTakenByTheLoop() {
        PatchEngine.Templates.Entry e = new PatchEngine.Templates.Entry();
        e.branchAt = -1;
        e.wide = false;
        e.prepareFast(Isa.X86_64);
        assertFalse(e.fast);
    }
}
