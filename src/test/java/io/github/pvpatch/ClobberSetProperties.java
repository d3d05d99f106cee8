package io.github.pvpatch;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import static io.github.pvpatch.testing.Generators.examples;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;

import io.github.pvpatch.testing.Generators;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;

class ClobberSetProperties {
    private final Gen<ClobberSet> sets = Generators.clobberSets(Isa.X86_64);

    @Test
    void missingRegistersAreExactlyThoseNotAllowed() {
        qt().withExamples(examples()).forAll(sets, sets).checkAssert((op, site) -> {
            ClobberSet missing = op.minus(site);
            assertTrue(site.union(missing).containsAll(op));
            assertTrue(missing.minus(op).isEmpty());
            assertTrue(missing.minus(site).equals(missing));
            assertEquals(missing.isEmpty(), site.containsAll(op));
            for (Register r : Register.values()) {
                if (r != Register.RSP) {
                    assertEquals(op.contains(r) && !site.contains(r), missing.contains(r));
                }
            }
        });
    }

    @Test
    void linuxMasksRoundTripForEveryRegisterTheKernelNamed() {
        qt().withExamples(examples()).forAll(Generators.isas(), Generators.isas().flatMap(Generators::clobberSets))
                .checkAssert((isa, set) -> {
                    ClobberSet named = ClobberSet.fromLinuxMask(ClobberSet.linuxAny(isa).toLinuxMask(isa), isa);
                    ClobberSet kernelPart = set.minus(set.minus(named));
                    assertEquals(kernelPart, ClobberSet.fromLinuxMask(kernelPart.toLinuxMask(isa), isa));
                });
    }

    @Test
    void registersListTheSetInEncodingOrder() {
        qt().withExamples(examples()).forAll(sets).checkAssert(set -> {
            assertEquals(set.size(), set.registers().size());
            assertEquals(set, ClobberSet.of(set.registers().toArray(new Register[0])));
            assertEquals(set, ClobberSet.ofBits(set.bits()));
        });
    }
}
