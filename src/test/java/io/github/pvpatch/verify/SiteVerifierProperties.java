package io.github.pvpatch.verify;

import static io.github.pvpatch.testing.Generators.examples;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.Violation;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.testing.Generators;
import io.github.pvpatch.testing.Scenario;
import io.github.pvpatch.x86.Encodings;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The verifier's teeth, over generated sites. A property skips a scenario whose first site does
 * not meet its precondition; each counts the examples that really ran and fails below a floor.
 */
class SiteVerifierProperties {
    /** The fewest examples of a property that must get past its precondition. */
    private static final int FLOOR = examples() / 4;

    private static void requireFloor(AtomicInteger ran, String property) {
        assertTrue(ran.get() >= FLOOR, property + ": " + ran.get() + " of " + examples()
                + " examples met the precondition, fewer than " + FLOOR);
    }

    @Test
    void changingAnyBitOfTheSlotOperandIsAnOriginalMismatch() {
        AtomicInteger ran = new AtomicInteger();
        qt().withExamples(examples()).forAll(Generators.scenarios(), integers().between(0, 31)).checkAssert((s, bit) -> {
            PatchSite site = s.sites.get(0);
            if (site.length() < Encodings.MIN_INDIRECT_LENGTH || site.callOffset().isEmpty()) {
                return;
            }
            ran.incrementAndGet();
            UnpatchedForm form = UnpatchedForm.of(s.isa, s.table).withSlotClobbers(s.saves.get(0));
            SiteVerifier v = SiteVerifier.of(form);
            byte[] bytes = java.util.Arrays.copyOfRange(s.text(), s.offsetOf(site), s.offsetOf(site) + site.length());
            v.verifyOriginal(site, bytes);
            int call = site.callOffset().getAsInt();
            io.github.pvpatch.x86.IndirectForm found = io.github.pvpatch.x86.IndirectForm.find(s.isa, site.kind(),
                    bytes, call, bytes.length);
            int operand = call + found.length() - 4;
            bytes[operand + bit / 8] ^= (byte) (1 << (bit % 8));
            PatchBug bug = assertThrows(PatchBug.class, () -> v.verifyOriginal(site, bytes), s.toString());
            assertEquals(Violation.ORIGINAL_MISMATCH, bug.violation());
        });
        requireFloor(ran, "changingAnyBitOfTheSlotOperandIsAnOriginalMismatch");
    }

    @Test
    void changingAnyBitOfTheIndirectOpcodeOrModrmIsAnOriginalMismatch() {
        AtomicInteger ran = new AtomicInteger();
        // The opcode and ModRM bytes of the indirect call (not a segment prefix, which is allowed).
        qt().withExamples(examples()).forAll(Generators.scenarios(), integers().between(0, 15)).checkAssert((s, bit) -> {
            PatchSite site = s.sites.get(0);
            if (site.length() < Encodings.MIN_INDIRECT_LENGTH || site.callOffset().isEmpty()) {
                return;
            }
            ran.incrementAndGet();
            SiteVerifier v = SiteVerifier.of(UnpatchedForm.of(s.isa, s.table).withSlotClobbers(s.saves.get(0)));
            byte[] bytes = java.util.Arrays.copyOfRange(s.text(), s.offsetOf(site), s.offsetOf(site) + site.length());
            int at = site.callOffset().getAsInt();
            at += (bytes[at] & 0xFF) == 0x2E ? 1 : 0;
            bytes[at + bit / 8] ^= (byte) (1 << (bit % 8));
            PatchBug bug = assertThrows(PatchBug.class, () -> v.verifyOriginal(site, bytes), s.toString());
            assertEquals(Violation.ORIGINAL_MISMATCH, bug.violation());
        });
        requireFloor(ran, "changingAnyBitOfTheIndirectOpcodeOrModrmIsAnOriginalMismatch");
    }

    @Test
    void aSiteOfTheOtherKindIsAnOriginalMismatch() {
        AtomicInteger ran = new AtomicInteger();
        qt().withExamples(examples()).forAll(Generators.scenarios()).checkAssert((Scenario s) -> {
            PatchSite site = s.sites.get(0);
            if (site.length() < Encodings.MIN_INDIRECT_LENGTH) {
                return;
            }
            ran.incrementAndGet();
            byte[] bytes = java.util.Arrays.copyOfRange(s.text(), s.offsetOf(site), s.offsetOf(site) + site.length());
            PatchSite other = site.withKind(site.kind() == SiteKind.CALL ? SiteKind.JUMP : SiteKind.CALL);
            SiteVerifier v = SiteVerifier.of(UnpatchedForm.of(s.isa, s.table).withSlotClobbers(s.saves.get(0)));
            assertEquals(Violation.ORIGINAL_MISMATCH,
                    assertThrows(PatchBug.class, () -> v.verifyOriginal(other, bytes)).violation());
        });
        requireFloor(ran, "aSiteOfTheOtherKindIsAnOriginalMismatch");
    }
}
