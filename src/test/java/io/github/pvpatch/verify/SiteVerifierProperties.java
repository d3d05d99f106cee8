package io.github.pvpatch.verify;

import static io.github.pvpatch.testing.Generators.examples;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.UnpatchedForm;
import io.github.pvpatch.Violation;
import io.github.pvpatch.testing.Generators;
import io.github.pvpatch.testing.Scenario;
import io.github.pvpatch.x86.Encodings;
import org.junit.jupiter.api.Test;

/** The verifier's teeth, over generated sites. */
class SiteVerifierProperties {

    @Test
    void changingAnyBitOfTheSlotOperandIsAnOriginalMismatch() {
        qt().withExamples(examples()).forAll(Generators.scenarios(), integers().between(0, 31)).checkAssert((s, bit) -> {
            PatchSite site = s.sites.get(0);
            if (site.length() < Encodings.MIN_INDIRECT_LENGTH || site.callOffset().isEmpty()) {
                return;
            }
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
    }

    @Test
    void changingAnyBitOfTheIndirectOpcodeOrModrmIsAnOriginalMismatch() {
        // The opcode and ModRM bytes of the indirect call (not a segment prefix, which is allowed).
        qt().withExamples(examples()).forAll(Generators.scenarios(), integers().between(0, 15)).checkAssert((s, bit) -> {
            PatchSite site = s.sites.get(0);
            if (site.length() < Encodings.MIN_INDIRECT_LENGTH || site.callOffset().isEmpty()) {
                return;
            }
            SiteVerifier v = SiteVerifier.of(UnpatchedForm.of(s.isa, s.table).withSlotClobbers(s.saves.get(0)));
            byte[] bytes = java.util.Arrays.copyOfRange(s.text(), s.offsetOf(site), s.offsetOf(site) + site.length());
            int at = site.callOffset().getAsInt();
            at += (bytes[at] & 0xFF) == 0x2E ? 1 : 0;
            bytes[at + bit / 8] ^= (byte) (1 << (bit % 8));
            PatchBug bug = assertThrows(PatchBug.class, () -> v.verifyOriginal(site, bytes), s.toString());
            assertEquals(Violation.ORIGINAL_MISMATCH, bug.violation());
        });
    }

    @Test
    void aSiteOfTheOtherKindIsAnOriginalMismatch() {
        qt().withExamples(examples()).forAll(Generators.scenarios()).checkAssert((Scenario s) -> {
            PatchSite site = s.sites.get(0);
            if (site.length() < Encodings.MIN_INDIRECT_LENGTH) {
                return;
            }
            byte[] bytes = java.util.Arrays.copyOfRange(s.text(), s.offsetOf(site), s.offsetOf(site) + site.length());
            PatchSite other = site.withKind(site.kind() == SiteKind.CALL ? SiteKind.JUMP : SiteKind.CALL);
            SiteVerifier v = SiteVerifier.of(UnpatchedForm.of(s.isa, s.table).withSlotClobbers(s.saves.get(0)));
            assertEquals(Violation.ORIGINAL_MISMATCH,
                    assertThrows(PatchBug.class, () -> v.verifyOriginal(other, bytes)).violation());
        });
    }
}
