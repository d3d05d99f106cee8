package io.github.pvpatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.pvpatch.arch.Isa;
import org.junit.jupiter.api.Test;

class SiteOutcomeTest {
    private static final PatchSite SITE = PatchSite.of(Isa.X86_32, 0xc1000000L, 6, 3, ClobberSet.none());

    private static PatchBug missing() {
        return PatchBug.of(Violation.OP_MISSING, SITE, 3, -1, "the ops table has no op for type=3");
    }

    @Test
    void aPatchedOutcomeIsItsStrategyAndCostsNothing() {
        for (Strategy s : Strategy.values()) {
            assertEquals(s, SiteOutcome.patched(s).strategy());
            assertSame(SiteOutcome.patched(s), SiteOutcome.patched(s), "one per strategy");
            assertEquals(new SiteOutcome.Patched(s), SiteOutcome.patched(s));
            assertEquals(s.name(), SiteOutcome.patched(s).toString());
        }
        assertNotEquals(SiteOutcome.patched(Strategy.NOP_PAD), SiteOutcome.patched(Strategy.DIRECT_CALL));
    }

    @Test
    void aSiteLeftUnpatchedSaysWhyAndEqualRefusalsAreEqualOutcomes() {
        PatchBug bug = missing();
        SiteOutcome.LeftUnpatched left = SiteOutcome.leftUnpatched(bug);
        assertSame(bug, left.reason());
        assertEquals("left unpatched (OP_MISSING)", left.toString());
        // Two refusals of the same site for the same reason: equal outcomes, as from two passes.
        assertEquals(left, SiteOutcome.leftUnpatched(missing()));
        assertEquals(left.hashCode(), SiteOutcome.leftUnpatched(missing()).hashCode());
        assertNotEquals(left, SiteOutcome.leftUnpatched(PatchBug.of(Violation.OP_MISSING, SITE.withAddress(0xc1000010L),
                3, -1, "the ops table has no op for type=3")));
        assertNotEquals(left, SiteOutcome.leftUnpatched(PatchBug.of(Violation.SITE_TOO_SHORT, SITE, 5, 6, "short")));
        assertNotEquals(left, SiteOutcome.patched(Strategy.NOP_PAD));
        assertNotEquals(SiteOutcome.patched(Strategy.NOP_PAD), left);
    }

    @Test
    void theJavadocExampleRunsAndSaysWhatItPrints() throws java.io.IOException {
        long base = 0xc1000000L;
        UnpatchedForm form = UnpatchedForm.of(Isa.X86_32, 0xc0400000L);
        PatchSite call = form.site(base, 2, io.github.pvpatch.arch.SiteKind.CALL, ClobberSet.linuxAny(Isa.X86_32), 2);
        PatchSite orphan = form.site(base + 16, 1, io.github.pvpatch.arch.SiteKind.CALL,
                ClobberSet.of(io.github.pvpatch.arch.Register.EAX), 0);
        byte[] text = new byte[32];
        form.encode(call, io.github.pvpatch.x86.NopTable.P6, text, 0);
        form.encode(orphan, io.github.pvpatch.x86.NopTable.P6, text, 16);
        CodeBuffer code = CodeBuffer.wrap(text, base);
        java.util.List<PatchSite> sites = java.util.List.of(call, orphan);
        OpsTable ops = OpsTable.builder().put(2, Op.call(base + 48, ClobberSet.callerSaved(Isa.X86_32))).build();
        // JAVADOC-BEGIN
        PatchPlan plan = PatchPlan.of(code, sites, ops, PatchOptions.defaults().withMode(PatchOptions.Mode.LENIENT));
        for (int i = 0; i < plan.size(); i++) {
            SiteOutcome o = plan.outcome(i);
            if (o instanceof SiteOutcome.Patched p) {
                System.out.println(plan.sites().get(i) + " " + p.strategy());                // ... DIRECT_CALL
            } else if (o instanceof SiteOutcome.LeftUnpatched l) {
                System.out.println(plan.sites().get(i) + " " + l.reason().violation());      // ... OP_MISSING
            }
        }
        plan.outcome(0).equals(SiteOutcome.patched(Strategy.DIRECT_CALL));                  // true
        // JAVADOC-END
        assertEquals(SiteOutcome.patched(Strategy.DIRECT_CALL), plan.outcome(0));
        assertEquals(Violation.OP_MISSING, ((SiteOutcome.LeftUnpatched) plan.outcome(1)).reason().violation());
        String test = java.nio.file.Files.readString(java.nio.file.Path.of(
                "src/test/java/io/github/pvpatch/SiteOutcomeTest.java"));
        String example = test.substring(test.indexOf("// JAVADOC-BEGIN\n") + 17, test.indexOf("        // JAVADOC-END"))
                .lines().map(l -> " * " + l.substring(8)).collect(java.util.stream.Collectors.joining("\n"));
        String javadoc = java.nio.file.Files.readString(java.nio.file.Path.of(
                "src/main/java/io/github/pvpatch/SiteOutcome.java"));
        assertTrue(javadoc.contains(" * <pre>{@code\n" + example + "\n * }</pre>"),
                "SiteOutcome's javadoc example differs from this test's JAVADOC-BEGIN..END region:\n" + example);
    }

    @Test
    void noNulls() {
        assertThrows(NullPointerException.class, () -> SiteOutcome.patched(null));
        assertThrows(NullPointerException.class, () -> SiteOutcome.leftUnpatched(null));
        assertThrows(NullPointerException.class, () -> new SiteOutcome.Patched(null));
        assertThrows(NullPointerException.class, () -> new SiteOutcome.LeftUnpatched(null));
    }

    @Test
    void aPassReportsTheRefusalOfEachRowItLeft() {
        // Rows 0 and 2 have no op; row 1 has one: the pass's outcomes match its refusals row by row.
        byte[] text = new byte[48];
        UnpatchedForm form = UnpatchedForm.of(Isa.X86_32, 0xc0400000L);
        java.util.List<PatchSite> sites = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            PatchSite s = form.site(0xc1000000L + 16 * i, i, io.github.pvpatch.arch.SiteKind.CALL,
                    ClobberSet.of(io.github.pvpatch.arch.Register.EAX), 0);
            form.encode(s, io.github.pvpatch.x86.NopTable.P6, text, 16 * i);
            sites.add(s);
        }
        OpsTable ops = OpsTable.builder().put(1, Op.nativeCode("fa", ClobberSet.none())).build();
        PatchPass pass = PatchPass.of(PatchOptions.defaults().withMode(PatchOptions.Mode.LENIENT));
        assertEquals(1, pass.apply(CodeBuffer.wrap(text, 0xc1000000L), SiteTable.of(Isa.X86_32, sites), ops));
        assertEquals(SiteOutcome.leftUnpatched(pass.problems().get(0)), pass.outcome(0));
        assertEquals(SiteOutcome.patched(Strategy.INLINE_NATIVE), pass.outcome(1));
        assertEquals(SiteOutcome.leftUnpatched(pass.problems().get(1)), pass.outcome(2));
        assertEquals(sites.get(2), ((SiteOutcome.LeftUnpatched) pass.outcome(2)).reason().site());
        assertEquals(java.util.Map.of(Strategy.INLINE_NATIVE, 1), pass.countByStrategy());
    }
}
