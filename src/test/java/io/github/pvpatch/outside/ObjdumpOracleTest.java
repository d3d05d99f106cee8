package io.github.pvpatch.outside;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.Op;
import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.SiteOutcome;
import io.github.pvpatch.Strategy;
import io.github.pvpatch.live.LiveHost;
import io.github.pvpatch.live.LivePlan;
import io.github.pvpatch.live.Step;
import io.github.pvpatch.live.TrapAction;
import io.github.pvpatch.live.WritePlan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GNU objdump, a disassembler pvpatch does not use, as the oracle: patched sites decode to whole
 * instructions ending at the site's end, direct calls reach the op's target, inlined code is the
 * op's bytes followed by NOPs, and in every state a live plan leaves between two syncs, the
 * first byte of each site decodes as int3, the old first instruction, or the new one.
 */
class ObjdumpOracleTest {
    private static final Pattern LINE = Pattern.compile("^\\s*([0-9a-f]+):\\t([0-9a-f ]+?)\\s*\\t(.*)$");
    private static final int CASES = 120;

    @TempDir
    Path dir;

    record Insn(long address, int length, String text) {
    }

    static boolean haveObjdump() {
        try {
            Process p = new ProcessBuilder("objdump", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    /** Disassembles {@code bytes} at {@code base}; instruction starts keyed by address. */
    TreeMap<Long, Insn> objdump(Isa isa, long base, byte[] bytes) throws IOException, InterruptedException {
        Path bin = Files.createTempFile(dir, "code", ".bin");
        Files.write(bin, bytes);
        Process p = new ProcessBuilder("objdump", "-D", "-b", "binary", "-m", isa == Isa.X86_64 ? "i386:x86-64" : "i386",
                "--adjust-vma=0x" + Long.toHexString(base), "--insn-width=16", bin.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        TreeMap<Long, Insn> insns = new TreeMap<>();
        for (String line : out.split("\n")) {
            Matcher m = LINE.matcher(line);
            if (m.matches()) {
                long a = Long.parseUnsignedLong(m.group(1), 16);
                insns.put(a, new Insn(a, m.group(2).trim().split(" ").length, m.group(3).trim()));
            }
        }
        return insns;
    }

    @Test
    void patchedSitesDecodeToWhatTheirStrategyMeans() throws Exception {
        assumeTrue(haveObjdump(), "GNU objdump is not installed");
        int checked = 0;
        int[] byStrategy = new int[Strategy.values().length];
        for (long seed = 1000; checked < CASES; seed++) {
            Sites s = Sites.draw(seed);
            PatchPlan plan;
            try {
                plan = PatchPlan.of(s.code(), s.sites(), s.ops());
            } catch (PatchBug refused) {
                continue;
            }
            TreeMap<Long, Insn> before = objdump(s.isa(), s.base(), s.ram());
            plan.apply();
            TreeMap<Long, Insn> after = objdump(s.isa(), s.base(), s.ram());
            for (int i = 0; i < plan.size(); i++) {
                PatchSite p = plan.sites().get(i);
                Strategy strategy = assertInstanceOf(SiteOutcome.Patched.class, plan.outcome(i)).strategy();  // strict
                String where = "seed " + seed + " " + p + " " + strategy;
                byStrategy[strategy.ordinal()]++;
                // unpatched: an indirect call through the op's slot, ending at the site's end
                List<Insn> old = within(before, p);
                assertTrue(old.stream().anyMatch(x -> x.text().startsWith("call") && x.text().contains("*")), where + " " + old);
                assertEquals(p.length(), old.stream().mapToInt(Insn::length).sum(), where + " " + old);
                List<Insn> now = within(after, p);
                assertEquals(p.length(), now.stream().mapToInt(Insn::length).sum(),
                        where + ": whole instructions ending at the site's end " + now);
                assertTrue(after.containsKey(p.addressAfter()), where + ": the next instruction starts at the end");
                for (Insn x : now) {
                    assertFalse(x.text().contains("bad"), where + " " + now);
                }
                Op op = s.ops().op(p.type()).orElseThrow();
                switch (strategy) {
                    case DIRECT_CALL -> {
                        long target = ((Op.Call) op).target();
                        assertEquals("call   0x" + Long.toHexString(target), now.get(0).text().replaceAll(" <.*", ""), where);
                        now.subList(1, now.size()).forEach(x -> assertTrue(isNop(x), where + " " + now));
                    }
                    case INLINE_NATIVE -> {
                        byte[] code = ((Op.Native) op).code();
                        int at = s.offset(p);
                        assertTrue(Arrays.equals(code, Arrays.copyOfRange(s.ram(), at, at + code.length)), where);
                        long end = p.address() + code.length;
                        assertTrue(after.containsKey(end), where + ": native code ends on a boundary");
                        now.stream().filter(x -> x.address() >= end).forEach(x -> assertTrue(isNop(x), where + " " + now));
                    }
                    case NOP_PAD -> now.forEach(x -> assertTrue(isNop(x), where + " " + now));
                    default -> {
                    }
                }
            }
            checked++;
        }
        assertTrue(byStrategy[Strategy.DIRECT_CALL.ordinal()] > 10, Arrays.toString(byStrategy));
        assertTrue(byStrategy[Strategy.INLINE_NATIVE.ordinal()] > 10, Arrays.toString(byStrategy));
        assertTrue(byStrategy[Strategy.NOP_PAD.ordinal()] > 10, Arrays.toString(byStrategy));
    }

    @Test
    void everyLiveIntermediateStateDecodesAsOldNewOrInt3() throws Exception {
        assumeTrue(haveObjdump(), "GNU objdump is not installed");
        int states = 0;
        int interior = 0;
        int checked = 0;
        for (long seed = 5000; checked < CASES / 2; seed++) {
            Sites s = Sites.draw(seed);
            PatchPlan plan;
            try {
                plan = PatchPlan.of(s.code(), s.sites(), s.ops());
            } catch (PatchBug refused) {
                continue;
            }
            WritePlan w = WritePlan.patch(plan);
            if (!(w instanceof LivePlan live)) {
                continue;
            }
            TreeMap<Long, Insn> oldCode = objdump(s.isa(), s.base(), s.ram());
            byte[] finalRam = s.ram().clone();
            for (int i = 0; i < plan.size(); i++) {
                byte[] b = plan.patchedBytes(i);
                System.arraycopy(b, 0, finalRam, s.offset(plan.sites().get(i)), b.length);
            }
            TreeMap<Long, Insn> newCode = objdump(s.isa(), s.base(), finalRam);
            List<byte[]> snapshots = new ArrayList<>();
            live.execute(new LiveHost() {
                @Override
                public void write(long address, byte[] bytes) {
                    System.arraycopy(bytes, 0, s.ram(), (int) (address - s.base()), bytes.length);
                }

                @Override
                public void sync() {
                    snapshots.add(s.ram().clone());
                }
            });
            assertEquals(live.steps().stream().filter(Step::isSync).count(), snapshots.size());
            for (byte[] state : snapshots) {
                TreeMap<Long, Insn> mid = objdump(s.isa(), s.base(), state);
                states++;
                for (PatchSite p : plan.sites()) {
                    Insn x = mid.get(p.address());
                    String where = "seed " + seed + " " + p + " state " + mid.subMap(p.address(), p.addressAfter()).values();
                    assertTrue(x != null, where);
                    Insn o = oldCode.get(p.address());
                    Insn n = newCode.get(p.address());
                    int at = s.offset(p);
                    boolean isInt3 = x.text().equals("int3");
                    boolean isOld = x.length() == o.length() && Arrays.equals(Arrays.copyOfRange(state, at, at + o.length()),
                            Arrays.copyOfRange(s.ram().length > 0 ? oldBytes(plan, p, s) : state, 0, o.length()));
                    boolean isNew = x.length() == n.length() && Arrays.equals(Arrays.copyOfRange(state, at, at + n.length()),
                            Arrays.copyOfRange(finalRam, at, at + n.length()));
                    assertTrue(isInt3 || isOld || isNew, where + " old " + o + " new " + n);
                    // every other old instruction boundary inside the site: the whole old instruction or the whole new one
                    byte[] orig = oldBytes(plan, p, s);
                    for (Insn ob : oldCode.subMap(p.address() + 1, p.addressAfter()).values()) {
                        int off = (int) (ob.address() - p.address());
                        boolean keepsOld = Arrays.equals(Arrays.copyOfRange(state, at + off, at + off + ob.length()),
                                Arrays.copyOfRange(orig, off, off + ob.length()));
                        Insn nb = newCode.get(ob.address());
                        boolean runsNew = nb != null && Arrays.equals(Arrays.copyOfRange(state, at + off, at + off + nb.length()),
                                Arrays.copyOfRange(finalRam, at + off, at + off + nb.length()));
                        assertTrue(keepsOld || runsNew, where + ": a CPU at old boundary " + ob + " runs a torn instruction");
                        interior++;
                    }
                    if (isInt3) {
                        TrapAction a = live.resolve(p.address());
                        assertFalse(a instanceof TrapAction.NotOurs, where);
                        String t = n.text().toLowerCase(Locale.ROOT);
                        if (t.startsWith("call")) {
                            TrapAction.EmulateCall call = assertInstanceOf(TrapAction.EmulateCall.class, a, where);
                            assertEquals(Long.parseUnsignedLong(t.replaceAll(".*0x([0-9a-f]+).*", "$1"), 16), call.target(), where);
                            // returns past the call and any NOPs after it, onto a boundary of bytes the plan does not change
                            long ret = call.returnAddress();
                            assertTrue(newCode.containsKey(ret) && ret >= p.address() + n.length() && ret <= p.addressAfter(),
                                    where + " " + call);
                            for (Insn y : newCode.subMap(p.address() + n.length(), ret).values()) {
                                assertTrue(isNop(y), where + " return skips " + y);
                            }
                            for (byte[] other : snapshots) {
                                for (long b = ret; b < p.addressAfter(); b++) {
                                    assertEquals(finalRam[(int) (b - s.base())], other[(int) (b - s.base())],
                                            where + ": the return address's bytes never change during the plan");
                                }
                            }
                        } else if (isNop(n)) {
                            assertTrue(a instanceof TrapAction.SkipTo || a instanceof TrapAction.Retry, where + " " + a);
                            if (a instanceof TrapAction.SkipTo skip) {
                                // every instruction from the start up to the skip target is a NOP in the new code
                                for (Insn y : newCode.subMap(p.address(), skip.address()).values()) {
                                    assertTrue(isNop(y), where + " skip over " + y);
                                }
                                assertTrue(newCode.containsKey(skip.address()), where + " skip lands on a boundary");
                            }
                        }
                    }
                }
            }
            checked++;
        }
        assertTrue(states > CASES, "states checked: " + states);
        assertTrue(interior > CASES / 4, "interior boundaries checked: " + interior);
    }

    private static byte[] oldBytes(PatchPlan plan, PatchSite p, Sites s) {
        return plan.originalBytes(plan.sites().indexOf(p));
    }

    private static boolean isNop(Insn x) {
        String t = x.text();
        return t.startsWith("nop") || t.startsWith("xchg   %ax,%ax") || t.startsWith("data16") || t.startsWith("cs nop")
                || t.startsWith("ds nop");
    }

    private static List<Insn> within(TreeMap<Long, Insn> insns, PatchSite p) {
        return new ArrayList<>(insns.subMap(p.address(), p.addressAfter()).values());
    }
}
