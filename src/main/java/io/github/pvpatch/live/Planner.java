package io.github.pvpatch.live;

import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.Violation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Turns a state and target bytes into a live plan, or a quiescent one with the reasons. */
final class Planner {
    private static final byte INT3 = (byte) 0xCC;

    private Planner() {
    }

    /** {@return the offsets of the return addresses of every call in {@code bytes}} */
    static int[] returnOffsets(PatchSite site, byte[] bytes) {
        Code.Listing l = new Code.Listing(site.isa(), site.address(), bytes);
        int[] out = new int[l.count];
        int n = 0;
        for (int i = 0; i < l.count; i++) {
            if (l.call[i]) {
                out[n++] = l.end(i);
            }
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * {@return every point inside the site (offsets 1 to length-1) a CPU may be at or return to
     * while {@code current} is installed, with why}: the instruction boundaries of the current
     * bytes (a CPU may be interrupted or preempted between any two of its instructions), the
     * return address of every call in them, and those of calls in bytes held earlier. The site's
     * start and end are points too; they are always boundaries of every byte sequence, the start is
     * guarded by the int3 and the end lies outside the site.
     */
    static TreeMap<Integer, String> points(PatchSite site, byte[] current, int[] earlierReturns) {
        TreeMap<Integer, String> points = new TreeMap<>();
        Code.Listing l = new Code.Listing(site.isa(), site.address(), current);
        int n = current.length;
        for (int r : earlierReturns) {
            if (r > 0 && r < n) {
                points.put(r, "return address of a call the site held earlier");
            }
        }
        boolean fallsThrough = true;
        for (int i = 0; i < l.count && fallsThrough; i++) {
            int end = l.end(i);
            if (end > 0 && end < n) {
                if (l.call[i]) {
                    points.put(end, "return address of the call at 0x" + hex(site.address() + l.starts[i]));
                } else if (!l.stops[i]) {
                    points.put(end, "instruction boundary of the bytes being replaced");
                }
            }
            // Nothing runs on after an unconditional jmp or a ret: the bytes after it are dead padding.
            fallsThrough = !l.stops[i];
        }
        // Past an undecodable byte nothing is known: the CPU could be anywhere after it.
        if (!l.complete && fallsThrough) {
            for (int k = Math.max(1, l.starts[l.count]); k < n; k++) {
                points.putIfAbsent(k, "byte after undecodable bytes being replaced");
            }
        }
        return points;
    }

    static WritePlan plan(SiteState before, byte[][] target, Transition transition) {
        List<PatchSite> sites = before.sites();
        List<PatchBug> violations = new ArrayList<>();
        List<Step> int3 = new ArrayList<>();
        List<Step> tails = new ArrayList<>();
        List<Step> firsts = new ArrayList<>();
        List<Step> plain = new ArrayList<>();
        List<ByteRange> liveRanges = new ArrayList<>();
        List<ByteRange> plainRanges = new ArrayList<>();
        Map<Long, TrapAction> traps = new LinkedHashMap<>();
        for (int i = 0; i < sites.size(); i++) {
            PatchSite site = sites.get(i);
            byte[] c = before.currentArray(i);
            byte[] t = target[i];
            int first = -1;
            int last = -1;
            int changed = 0;
            for (int k = 0; k < c.length; k++) {
                if (c[k] != t[k]) {
                    first = first < 0 ? k : first;
                    last = k;
                    changed++;
                }
            }
            if (changed == 0) {
                continue;
            }
            long a = site.address();
            plain.add(Step.write(Phase.PLAIN, a + first, Arrays.copyOfRange(t, first, last + 1)));
            plainRanges.add(new ByteRange(a + first, last - first + 1));
            checkPoints(site, c, t, before.earlierReturnOffsets(i), violations);
            if (changed == 1 && first == 0 && (c[0] == INT3 || t[0] == INT3)) {
                // Writing an int3 over the first byte, or the first byte back over one, is the one
                // write the SDM's cross-modifying-code rule lets other CPUs see without a sync
                // first: it is the protocol's own step. Any other byte, even one alone, changes an
                // instruction a CPU may be fetching, which is unpredictable (unsynchronized XMC),
                // so it goes under an int3 like the rest.
                firsts.add(Step.write(Phase.FIRST_BYTE, a, new byte[] {t[0]}));
                liveRanges.add(new ByteRange(a, 1));
                continue;
            }
            int3.add(Step.write(Phase.INT3, a, new byte[] {INT3}));
            int from = Math.max(1, first);
            if (from <= last) {
                tails.add(Step.write(Phase.TAIL, a + from, Arrays.copyOfRange(t, from, last + 1)));
            }
            firsts.add(Step.write(Phase.FIRST_BYTE, a, new byte[] {t[0]}));
            liveRanges.add(new ByteRange(a, last + 1));
            TrapAction action = resolution(site, t, last);
            if (action != null) {
                traps.put(a, action);
            }
        }
        if (!violations.isEmpty()) {
            if (!plain.isEmpty()) {
                plain.add(Step.sync(Phase.PLAIN));
            }
            return new QuiescentPlan(transition, before, before.next(target, false), plain, plainRanges, violations);
        }
        List<Step> steps = new ArrayList<>();
        if (!int3.isEmpty()) {
            steps.addAll(int3);
            steps.add(Step.sync(Phase.INT3));
            if (!tails.isEmpty()) {
                steps.addAll(tails);
                steps.add(Step.sync(Phase.TAIL));
            }
        }
        if (!firsts.isEmpty()) {
            steps.addAll(firsts);
            steps.add(Step.sync(Phase.FIRST_BYTE));
        }
        return new LivePlan(transition, before, before.next(target, true), steps, liveRanges, traps);
    }

    /**
     * Every point inside the site must keep its meaning: no byte a CPU there may still execute
     * (from the point, falling through, up to the site's end or an unconditional jmp or ret) may
     * change, since only the site's first byte is guarded. A CPU there then runs exactly the bytes
     * it would have run before, whether or not the new bytes start an instruction at that point.
     */
    private static void checkPoints(PatchSite site, byte[] c, byte[] t, int[] earlier, List<PatchBug> violations) {
        for (Map.Entry<Integer, String> e : points(site, c, earlier).entrySet()) {
            int p = e.getKey();
            int reach = reach(site, c, p);
            int changed = -1;
            for (int k = reach - 1; k >= p && changed < 0; k--) {
                changed = c[k] != t[k] ? k : -1;
            }
            if (changed >= 0) {
                violations.add(PatchBug.of(Violation.LIVE_BOUNDARY_CHANGED, site, p, changed,
                        "point=0x" + hex(site.address() + p) + " (" + e.getValue() + "): the write changes 0x"
                                + hex(site.address() + changed) + ", which a CPU there runs; the write needs quiescence"));
                return;   // one reason per site is enough to refuse it
            }
        }
    }

    /** {@return the end of the bytes a CPU at offset {@code p} may run inside the site} */
    static int reach(PatchSite site, byte[] c, int p) {
        byte[] rest = Arrays.copyOfRange(c, p, c.length);
        Code.Listing l = new Code.Listing(site.isa(), site.address() + p, rest);
        for (int i = 0; i < l.count; i++) {
            if (l.stops[i]) {
                return p + l.end(i);
            }
        }
        return c.length;
    }

    /**
     * {@return what a CPU that hit the int3 at the site does, or null when the new first
     * instruction is itself an int3 (the trap is then the new code's own)}: emulate a direct call
     * or jump, or skip NOPs, when execution goes on at bytes the plan does not change; else retry.
     */
    private static TrapAction resolution(PatchSite site, byte[] t, int last) {
        long a = site.address();
        if (t[0] == INT3) {
            return null;
        }
        Code.Listing l = new Code.Listing(site.isa(), a, t);
        if (l.count == 0) {
            return new TrapAction.Retry(a);
        }
        long target = l.target[0];
        boolean inside = target >= a && target < a + t.length;
        if (l.directCall[0] && !inside) {
            int end = l.end(0);
            if (last < end) {
                return new TrapAction.EmulateCall(target, a + end);
            }
            // call; NOPs to the end: returning to the end is returning past the NOPs.
            if (l.complete && l.afterNops(1) == t.length) {
                return new TrapAction.EmulateCall(target, a + t.length);
            }
        } else if (l.jump[0] && !inside) {
            return new TrapAction.EmulateJump(target);
        } else if (l.nop[0]) {
            int after = l.afterNops(0);
            if (last < after && (after < l.starts[l.count] || l.complete)) {
                return new TrapAction.SkipTo(a + after);
            }
        }
        return new TrapAction.Retry(a);
    }

    static String hex(long v) {
        return Long.toHexString(v);
    }
}
