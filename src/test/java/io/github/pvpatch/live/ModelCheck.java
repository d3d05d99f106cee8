package io.github.pvpatch.live;

import io.github.pvpatch.PatchSite;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.testing.Hex;
import io.github.pvpatch.zydis.Instruction;
import io.github.pvpatch.zydis.MachineMode;
import io.github.pvpatch.zydis.ZydisDecoder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongFunction;

/**
 * An exhaustive check of a write plan against concurrent readers, independent of the planner: it
 * computes the points itself with Zydis and replays the steps on a copy of the code.
 *
 * <p>Between two syncs another CPU may see any subset of the bytes written since the last sync
 * (byte-granular, in any order). For every such memory state and every point a CPU may be at (each
 * site's start and end, every instruction boundary of the bytes being replaced, every return
 * address of a call in them or in bytes held earlier), the instruction decoded there must be the
 * whole old instruction, the whole new one, or an int3; an int3 at a site's start must be one the
 * resolver answers for, and an emulation must match the new instruction and continue on bytes the
 * plan never changes. And no phase may modify an instruction a CPU may be fetching, other than an
 * int3 written over its first byte or removed from it, unless an int3 has guarded it since the
 * last sync (the SDM's cross-modifying-code rule, see {@link #crossModifying}). States are
 * enumerated per point over the in-flight bytes of its 15-byte
 * window; once the bytes fixed so far decode to a whole instruction, all completions are counted
 * with one decode.
 */
final class ModelCheck {
    private static final int WINDOW = ZydisDecoder.MAX_INSTRUCTION_LENGTH;
    private static final ZydisDecoder D32 = ZydisDecoder.of(MachineMode.X86_32);
    private static final ZydisDecoder D64 = ZydisDecoder.of(MachineMode.X86_64);

    /** Counts across every check, for the build's summary line. */
    long pointStates;
    long decodes;
    long plans;
    /** Instruction starts of the bytes before and after, with each site's start and end. */
    private TreeSet<Long> boundariesBefore;
    private TreeSet<Long> boundariesAfter;
    /** Sites whose old or new bytes are no whole instructions ending at the site's end (generated junk). */
    private final java.util.Set<PatchSite> malformed = new java.util.HashSet<>();

    /**
     * {@return null when the plan is safe, else what a CPU could see}
     *
     * @param base the address of {@code text[0]}
     * @param text the code around the sites, holding the bytes the plan starts from
     * @param sites the sites
     * @param earlier the bytes the sites held before, since the last quiescent write (their calls may
     *     still have frames), one list per state, per site
     * @param target per site, the bytes after the plan
     * @param steps the plan's steps
     * @param resolver the trap resolver
     */
    String check(long base, byte[] text, List<PatchSite> sites, List<List<byte[]>> earlier, List<byte[]> target,
            List<Step> steps, LongFunction<TrapAction> resolver) {
        plans++;
        Isa isa = sites.get(0).isa();
        ZydisDecoder dec = isa == Isa.X86_32 ? D32 : D64;
        byte[] before = text.clone();
        byte[] after = text.clone();
        for (int i = 0; i < sites.size(); i++) {
            System.arraycopy(target.get(i), 0, after, off(base, sites.get(i).address()), sites.get(i).length());
        }
        // Every point a CPU may be at, absolute address -> which site (start points marked).
        TreeMap<Long, PatchSite> points = new TreeMap<>();
        TreeSet<Long> starts = new TreeSet<>();
        boundariesBefore = new TreeSet<>();
        boundariesAfter = new TreeSet<>();
        malformed.clear();
        for (int i = 0; i < sites.size(); i++) {
            PatchSite s = sites.get(i);
            points.put(s.address(), s);
            starts.add(s.address());
            byte[] mine = Arrays.copyOfRange(before, off(base, s.address()), off(base, s.addressAfter()));
            // The end is a point when the site's code ends there (not for a record shorter than its code).
            if (off(base, s.addressAfter()) < text.length && decodesToEnd(dec, s, mine)) {
                points.put(s.addressAfter(), s);
            }
            for (long p : interiorPoints(dec, s, Arrays.copyOfRange(before, off(base, s.address()),
                    off(base, s.addressAfter())))) {
                points.put(p, s);
            }
            if (!decodesToEnd(dec, s, mine) || !decodesToEnd(dec, s, target.get(i))) {
                malformed.add(s);
            }
            boundariesBefore.addAll(allBoundaries(dec, s, Arrays.copyOfRange(before, off(base, s.address()),
                    off(base, s.addressAfter()))));
            boundariesAfter.addAll(allBoundaries(dec, s, target.get(i)));
            for (List<byte[]> held : earlier) {
                for (long p : returnAddresses(dec, s, held.get(i))) {
                    points.put(p, s);
                }
            }
        }
        byte[] mem = before.clone();
        // A CPU at any point runs the old code there: every point is a position of the old code.
        boundariesBefore.addAll(points.keySet());
        TreeMap<Integer, Byte> inFlight = new TreeMap<>();
        for (Step step : steps) {
            if (!step.isSync()) {
                byte[] b = step.bytes();
                for (int k = 0; k < b.length; k++) {
                    int at = off(base, step.address() + k);
                    if (at < 0 || at >= mem.length) {
                        return "step " + step + " writes outside the code";
                    }
                    if (mem[at] != b[k] || inFlight.containsKey(at)) {
                        inFlight.put(at, b[k]);
                    }
                }
                continue;
            }
            String bad = checkPhase(dec, base, mem, before, after, inFlight, points, starts, resolver);
            if (bad != null) {
                return bad + " (during the phase ending with " + step + ")";
            }
            inFlight.forEach((at, v) -> mem[at] = v);
            inFlight.clear();
        }
        if (!inFlight.isEmpty()) {
            String bad = checkPhase(dec, base, mem, before, after, inFlight, points, starts, resolver);
            if (bad != null) {
                return bad + " (writes after the last sync)";
            }
            return "writes after the last sync: CPUs are not guaranteed to see them";
        }
        if (!Arrays.equals(mem, after)) {
            return "the plan ends with other bytes than the target: " + Hex.of(mem) + " vs " + Hex.of(after);
        }
        return null;
    }

    private String checkPhase(ZydisDecoder dec, long base, byte[] mem, byte[] before, byte[] after,
            TreeMap<Integer, Byte> inFlight, TreeMap<Long, PatchSite> points, TreeSet<Long> starts,
            LongFunction<TrapAction> resolver) {
        for (long p : points.keySet()) {
            int at = off(base, p);
            List<Integer> window = new ArrayList<>(inFlight.subMap(at, true, at + WINDOW, false).keySet());
            byte[] state = mem.clone();
            String bad = explore(dec, base, p, state, window, 0, inFlight, before, after, starts.contains(p),
                    points.get(p), resolver);
            if (bad != null) {
                return bad;
            }
        }
        // After the byte states, so a plan that tears an instruction is reported as torn.
        return crossModifying(dec, base, mem, inFlight, points);
    }

    /**
     * The SDM's cross-modifying-code rule, which the byte-state enumeration cannot see: a CPU may
     * be fetching an instruction while it changes, and unless that CPU serialized after the
     * change it may run a mix of old and new bytes, or worse (Intel's errata: unpredictable). So
     * between two syncs no byte of an instruction a CPU may be at changes, save one: its first
     * byte may become an int3 or stop being one. Bytes after the first may change while an int3
     * written before the last sync guards the instruction.
     *
     * @return null when the phase keeps the rule, else the first instruction it modifies unsynchronized
     */
    private static String crossModifying(ZydisDecoder dec, long base, byte[] mem, TreeMap<Integer, Byte> inFlight,
            TreeMap<Long, PatchSite> points) {
        if (inFlight.isEmpty()) {
            return null;
        }
        byte[] end = mem.clone();
        inFlight.forEach((at, v) -> end[at] = v);
        for (long p : points.keySet()) {
            int at = off(base, p);
            // The site holding the point: an instruction that runs past its end is generated junk
            // (see malformed), and the bytes past the end are another site's, checked at its start.
            PatchSite holder = null;
            for (PatchSite s : points.values()) {
                holder = s.address() <= p && p < s.addressAfter() ? s : holder;
            }
            if (holder == null) {
                continue;
            }
            int len = Math.min(Math.max(length(dec, mem, at, p), length(dec, end, at, p)),
                    off(base, holder.addressAfter()) - at);
            boolean guarded = mem[at] == (byte) 0xCC && !inFlight.containsKey(at);
            for (int x : inFlight.subMap(at, true, at + len, false).keySet()) {
                boolean ok = x == at ? mem[at] == (byte) 0xCC || inFlight.get(at) == (byte) 0xCC : guarded;
                if (!ok) {
                    return "point=0x" + Long.toHexString(p) + " of " + points.get(p) + ": unsynchronized"
                            + " cross-modifying code, byte 0x" + Long.toHexString(base + x) + " of the instruction "
                            + Hex.of(mem, at, Math.min(mem.length, at + len)) + " changes to "
                            + Hex.of(new byte[] {inFlight.get(x)}) + " while a CPU may fetch it"
                            + (x == at ? " (a first byte may only become or stop being an int3)"
                                    : " (no int3 guards it since the last sync)");
                }
            }
        }
        return null;
    }

    /** {@return the length of the instruction at {@code at}, or 1 where no instruction decodes} */
    private static int length(ZydisDecoder dec, byte[] code, int at, long p) {
        return dec.decode(code, at, Math.min(WINDOW, code.length - at), p).map(Instruction::length).orElse(1);
    }

    private String explore(ZydisDecoder dec, long base, long p, byte[] state, List<Integer> window, int k,
            TreeMap<Integer, Byte> inFlight, byte[] before, byte[] after, boolean start, PatchSite site,
            LongFunction<TrapAction> resolver) {
        int at = off(base, p);
        int fixed = Math.min(WINDOW, state.length - at);
        if (k < window.size()) {
            fixed = Math.min(fixed, window.get(k) - at);
        }
        if (fixed > 0) {
            decodes++;
            Optional<Instruction> ins = dec.decode(state, at, fixed, p);
            if (ins.isPresent() || k == window.size()) {
                pointStates += 1L << (window.size() - k);
                return judge(dec, base, p, state, ins, before, after, start, site, resolver);
            }
        }
        int w = window.get(k);
        byte old = state[w];
        String bad = explore(dec, base, p, state, window, k + 1, inFlight, before, after, start, site, resolver);
        if (bad == null) {
            state[w] = inFlight.get(w);
            bad = explore(dec, base, p, state, window, k + 1, inFlight, before, after, start, site, resolver);
        }
        state[w] = old;
        return bad;
    }

    private String judge(ZydisDecoder dec, long base, long p, byte[] state, Optional<Instruction> ins,
            byte[] before, byte[] after, boolean start, PatchSite site, LongFunction<TrapAction> resolver) {
        int at = off(base, p);
        String where = "point=0x" + Long.toHexString(p) + " of " + site;
        int siteEnd = off(base, site.addressAfter());
        if (malformed.contains(site) && at < siteEnd && (Arrays.equals(state, at, siteEnd, before, at, siteEnd)
                || Arrays.equals(state, at, siteEnd, after, at, siteEnd))) {
            // Junk code (a generated op) whose instructions do not end at the site's end: what lies
            // inside the site is wholly old or wholly new.
            return null;
        }
        if (ins.isEmpty()) {
            // Bytes that are no instruction in the old or new code itself (a generated op) are not torn.
            int end = Math.min(state.length, at + WINDOW);
            if (boundariesBefore.contains(p) && Arrays.equals(state, at, end, before, at, end)
                    || boundariesAfter.contains(p) && Arrays.equals(state, at, end, after, at, end)) {
                return null;
            }
            return where + ": torn, no instruction in state " + Hex.of(state, at, Math.min(state.length, at + WINDOW));
        }
        int len = ins.get().length();
        if (boundariesBefore.contains(p) && same(dec, before, at, len, state, p)
                || boundariesAfter.contains(p) && same(dec, after, at, len, state, p)) {
            return null;
        }
        if (len == 1 && state[at] == (byte) 0xCC) {
            if (!start) {
                return where + ": an int3 inside a site, where no handler expects one";
            }
            return checkTrap(dec, base, p, before, after, site, resolver.apply(p));
        }
        return where + ": torn, " + ins.get().mnemonic() + " " + Hex.of(state, at, at + len) + " is neither old "
                + Hex.of(before, at, Math.min(before.length, at + len)) + " nor new "
                + Hex.of(after, at, Math.min(after.length, at + len));
    }

    /** {@return whether {@code state[at..at+len)} is exactly the instruction {@code code} has there} */
    private static boolean same(ZydisDecoder dec, byte[] code, int at, int len, byte[] state, long p) {
        if (!Arrays.equals(code, at, at + len, state, at, at + len)) {
            return false;
        }
        Optional<Instruction> i = dec.decode(code, at, Math.min(WINDOW, code.length - at), p);
        return i.isPresent() && i.get().length() == len;
    }

    private static String checkTrap(ZydisDecoder dec, long base, long p, byte[] before, byte[] after, PatchSite site,
            TrapAction action) {
        String where = "int3 at 0x" + Long.toHexString(p) + " of " + site + ", resolved " + action;
        int at = off(base, p);
        int end = off(base, site.addressAfter());
        Instruction next = dec.decode(after, at, Math.min(WINDOW, after.length - at), p).orElse(null);
        if (action instanceof TrapAction.NotOurs) {
            return where + ": the plan wrote it but disowns it";
        }
        if (action instanceof TrapAction.Retry r) {
            return r.address() == p ? null : where + ": retries elsewhere";
        }
        if (next == null) {
            return where + ": emulates, but the new bytes are no instruction";
        }
        long resume;
        if (action instanceof TrapAction.EmulateCall c) {
            if (!"call".equals(next.mnemonic()) || next.branchTarget().isEmpty()
                    || next.branchTarget().getAsLong() != c.target()) {
                return where + ": the new instruction is " + next;
            }
            resume = c.returnAddress();
            if (resume != next.addressAfter() && !nopsBetween(dec, after, base, next.addressAfter(), resume)) {
                return where + ": returns past something other than NOPs";
            }
        } else if (action instanceof TrapAction.EmulateJump j) {
            return "jmp".equals(next.mnemonic()) && next.branchTarget().isPresent()
                    && next.branchTarget().getAsLong() == j.target() ? null : where + ": the new instruction is " + next;
        } else {
            resume = ((TrapAction.SkipTo) action).address();
            if (!nopsBetween(dec, after, base, p, resume)) {
                return where + ": skips more than NOPs";
            }
        }
        int r = off(base, resume);
        if (r < at || r > end || !Arrays.equals(before, r, end, after, r, end)) {
            return where + ": continues at 0x" + Long.toHexString(resume) + " on bytes the plan changes";
        }
        return null;
    }

    private static boolean nopsBetween(ZydisDecoder dec, byte[] code, long base, long from, long to) {
        long p = from;
        while (p < to) {
            int at = off(base, p);
            Optional<Instruction> i = dec.decode(code, at, Math.min(WINDOW, code.length - at), p);
            if (i.isEmpty() || !i.get().isNop()) {
                return false;
            }
            p += i.get().length();
        }
        return p == to;
    }

    /**
     * Every instruction boundary strictly inside the site that execution from its start reaches
     * by falling through (not past an unconditional jmp or a ret); all bytes past a bad one.
     */
    static List<Long> interiorPoints(ZydisDecoder dec, PatchSite s, byte[] bytes) {
        List<Long> out = new ArrayList<>();
        int k = 0;
        while (k < bytes.length) {
            Optional<Instruction> i = dec.decode(bytes, k, bytes.length - k, s.address() + k);
            if (i.isEmpty()) {
                for (int j = Math.max(1, k); j < bytes.length; j++) {
                    out.add(s.address() + j);
                }
                break;
            }
            k += i.get().length();
            String m = i.get().mnemonic();
            if ("jmp".equals(m) || m.startsWith("ret")) {
                break;
            }
            if (k < bytes.length) {
                out.add(s.address() + k);
            }
        }
        return out;
    }

    /** Every instruction start of {@code bytes} decoded straight through, with the site's start and end. */
    static List<Long> allBoundaries(ZydisDecoder dec, PatchSite s, byte[] bytes) {
        List<Long> out = new ArrayList<>();
        int k = 0;
        out.add(s.address());
        while (k < bytes.length) {
            Optional<Instruction> i = dec.decode(bytes, k, bytes.length - k, s.address() + k);
            if (i.isEmpty()) {
                break;
            }
            k += i.get().length();
            out.add(s.address() + k);
        }
        // The site's end and beyond: code the plan does not touch.
        out.add(s.addressAfter());
        return out;
    }

    private static boolean decodesToEnd(ZydisDecoder dec, PatchSite s, byte[] bytes) {
        int k = 0;
        while (k < bytes.length) {
            Optional<Instruction> i = dec.decode(bytes, k, bytes.length - k, s.address() + k);
            if (i.isEmpty()) {
                return false;
            }
            k += i.get().length();
        }
        return true;
    }

    /** {@return whether a CPU may be at {@code p} in site {@code i} while it holds {@code current}} */
    boolean isPoint(Isa isa, PatchSite s, byte[] current, List<List<byte[]>> earlier, int i, long p) {
        ZydisDecoder dec = isa == Isa.X86_32 ? D32 : D64;
        if (interiorPoints(dec, s, current).contains(p) || returnAddresses(dec, s, current).contains(p)) {
            return true;
        }
        for (List<byte[]> held : earlier) {
            if (returnAddresses(dec, s, held.get(i)).contains(p)) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@return whether a CPU at {@code p} would run changed bytes}: it falls through the current
     * bytes from {@code p} to the site's end or an unconditional jmp or ret; one of those bytes
     * differs in {@code next}.
     */
    boolean runChanges(Isa isa, PatchSite s, byte[] current, byte[] next, long p) {
        ZydisDecoder dec = isa == Isa.X86_32 ? D32 : D64;
        int k = (int) (p - s.address());
        int end = current.length;
        while (k < current.length) {
            Optional<Instruction> ins = dec.decode(current, k, current.length - k, s.address() + k);
            if (ins.isEmpty()) {
                break;
            }
            k += ins.get().length();
            String m = ins.get().mnemonic();
            if ("jmp".equals(m) || m.startsWith("ret")) {
                end = Math.min(k, current.length);
                break;
            }
        }
        int from = (int) (p - s.address());
        return !Arrays.equals(current, from, end, next, from, end);
    }

    /** The return addresses of the calls in {@code bytes}, strictly inside the site. */
    static List<Long> returnAddresses(ZydisDecoder dec, PatchSite s, byte[] bytes) {
        List<Long> out = new ArrayList<>();
        int k = 0;
        while (k < bytes.length) {
            Optional<Instruction> i = dec.decode(bytes, k, bytes.length - k, s.address() + k);
            if (i.isEmpty()) {
                break;
            }
            k += i.get().length();
            if ("call".equals(i.get().mnemonic()) && k < bytes.length) {
                out.add(s.address() + k);
            }
        }
        return out;
    }

    private static int off(long base, long address) {
        return (int) (address - base);
    }
}
