package io.github.pvpatch.testing;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.Op;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.Strategy;
import io.github.pvpatch.Violation;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.arch.SiteKind;
import io.github.pvpatch.x86.NopTable;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * What patching a generated site must give, written from the rules alone and independently of
 * the library's strategies: its own push encodings, save order and decision order. It knows how
 * the generator built each site ({@link Scenario#saves}) instead of reading the bytes back. Only
 * the NOP table is shared, and that is pinned by golden tests.
 */
public final class ReferenceModel {
    /** Which built-in patcher is modelled. */
    public enum Policy { STANDARD, NOP_PAD, INLINE_NATIVE, DIRECT_BRANCH }

    /** Either a violation (and no strategy or bytes), or a strategy and the site's new bytes. */
    public record Outcome(Violation violation, Strategy strategy, byte[] bytes) {
        static Outcome bug(Violation v) {
            return new Outcome(v, null, null);
        }

        @Override
        public String toString() {
            return violation != null ? "BUG " + violation : strategy + " " + Hex.of(bytes);
        }
    }

    private static final Register[] ORDER_32 = {
        Register.EAX, Register.EDI, Register.ECX, Register.EDX, Register.EBX, Register.EBP, Register.ESI};
    private static final Register[] ORDER_64 = {
        Register.RAX, Register.RCX, Register.RDX, Register.RSI, Register.RDI, Register.R8, Register.R9, Register.R10,
        Register.R11, Register.RBX, Register.RBP, Register.R12, Register.R13, Register.R14, Register.R15};

    private ReferenceModel() {
    }

    /** {@return the outcome of patching site {@code i} of {@code s} with {@code policy}} */
    public static Outcome expect(Scenario s, int i, Policy policy) {
        PatchSite site = s.sites.get(i);
        byte[] original = new byte[site.length()];
        System.arraycopy(s.text(), s.offsetOf(site), original, 0, site.length());
        if (site.length() < 6) {
            return Outcome.bug(Violation.SITE_TOO_SHORT);
        }
        Op op = s.ops.op(site.type()).orElse(null);
        if (op == null) {
            return Outcome.bug(Violation.OP_MISSING);
        }
        if (policy == Policy.STANDARD) {
            policy = op instanceof Op.Nop ? Policy.NOP_PAD : op instanceof Op.Native ? Policy.INLINE_NATIVE
                    : Policy.DIRECT_BRANCH;
        }
        switch (policy) {
            case NOP_PAD:
                if (!(op instanceof Op.Nop) || site.kind() == SiteKind.JUMP) {
                    return Outcome.bug(Violation.OP_KIND_MISMATCH);
                }
                return done(Strategy.NOP_PAD, new byte[0], site, s.nops);
            case INLINE_NATIVE:
                return inline(site, op, s.nops);
            default:
                return branch(site, op, s.saves.get(i), original, s.nops);
        }
    }

    private static Outcome inline(PatchSite site, Op op, NopTable nops) {
        if (!(op instanceof Op.Native)) {
            return Outcome.bug(Violation.OP_KIND_MISMATCH);
        }
        byte[] code = ((Op.Native) op).code();
        if (code.length > site.length()) {
            return Outcome.bug(Violation.CODE_TOO_LONG);
        }
        if (!op.clobbers().isIn(site.isa())) {
            return Outcome.bug(Violation.OP_KIND_MISMATCH);
        }
        if (!site.clobbers().containsAll(op.clobbers())) {
            return Outcome.bug(Violation.NATIVE_CLOBBERS_KEPT_REGISTER);
        }
        return done(Strategy.INLINE_NATIVE, code, site, nops);
    }

    private static Outcome branch(PatchSite site, Op op, ClobberSet siteSaves, byte[] original, NopTable nops) {
        if (op instanceof Op.Jump) {
            if (site.kind() != SiteKind.JUMP) {
                return Outcome.bug(Violation.OP_KIND_MISMATCH);
            }
            byte[] jmp = rel32(0xE9, site.isa(), site.address(), ((Op.Jump) op).target());
            return jmp == null ? Outcome.bug(Violation.TARGET_OUT_OF_REACH) : done(Strategy.DIRECT_JUMP, jmp, site, nops);
        }
        if (!(op instanceof Op.Call) || site.kind() != SiteKind.CALL || !op.clobbers().isIn(site.isa())) {
            return Outcome.bug(Violation.OP_KIND_MISMATCH);
        }
        long target = ((Op.Call) op).target();
        ClobberSet missing = op.clobbers().minus(site.clobbers());
        if (missing.isEmpty()) {
            byte[] call = rel32(0xE8, site.isa(), site.address(), target);
            return call == null ? Outcome.bug(Violation.TARGET_OUT_OF_REACH) : done(Strategy.DIRECT_CALL, call, site, nops);
        }
        List<Register> pushes = pushes(site.isa(), missing);
        byte[] push = encode(pushes, 0x50);
        List<Register> reversed = new ArrayList<>(pushes);
        java.util.Collections.reverse(reversed);
        byte[] pop = encode(reversed, 0x58);
        if (site.stackArguments() == 0 && push.length + 5 + pop.length <= site.length()) {
            byte[] call = rel32(0xE8, site.isa(), site.address() + push.length, target);
            if (call == null) {
                return Outcome.bug(Violation.TARGET_OUT_OF_REACH);
            }
            return done(Strategy.DIRECT_CALL_WITH_SAVES, concat(push, call, pop), site, nops);
        }
        if (site.callOffset().isPresent() && site.clobbers().union(siteSaves).containsAll(op.clobbers())) {
            int at = site.callOffset().getAsInt();
            int callLength = (original[at] & 0xFF) == 0x2E || (original[at + 1] & 0xFF) == 0x14
                    || (original[at + 1] & 0xFF) == 0x24 ? 7 : 6;
            byte[] call = rel32(0xE8, site.isa(), site.address() + at, target);
            if (call == null) {
                return Outcome.bug(Violation.TARGET_OUT_OF_REACH);
            }
            byte[] out = original.clone();
            System.arraycopy(call, 0, out, at, 5);
            nops.fill(out, at + 5, callLength - 5, site.isa());
            return new Outcome(null, Strategy.DIRECT_CALL_IN_PLACE, out);
        }
        return Outcome.bug(site.stackArguments() > 0 ? Violation.SAVES_WITH_STACK_ARGUMENTS : Violation.SAVES_DO_NOT_FIT);
    }

    private static List<Register> pushes(Isa isa, ClobberSet regs) {
        List<Register> list = new ArrayList<>();
        for (Register r : isa == Isa.X86_32 ? ORDER_32 : ORDER_64) {
            if (regs.contains(r)) {
                list.add(r);
            }
        }
        if (isa == Isa.X86_64 && list.size() % 2 == 1) {
            list.add(list.get(list.size() - 1));   // keep rsp 16-byte aligned at the call
        }
        return list;
    }

    private static byte[] encode(List<Register> regs, int opcode) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Register r : regs) {
            if (r.encoding() >= 8) {
                out.write(0x41);
            }
            out.write(opcode + (r.encoding() & 7));
        }
        return out.toByteArray();
    }

    /** {@return E8/E9 rel32 from {@code at} to {@code target}, or null when out of reach} */
    private static byte[] rel32(int opcode, Isa isa, long at, long target) {
        long disp = target - (at + 5);
        if (isa == Isa.X86_32 ? target < 0 || target > 0xFFFF_FFFFL : disp < Integer.MIN_VALUE || disp > Integer.MAX_VALUE) {
            return null;
        }
        int d = (int) disp;
        return new byte[] {(byte) opcode, (byte) d, (byte) (d >> 8), (byte) (d >> 16), (byte) (d >> 24)};
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    private static Outcome done(Strategy strategy, byte[] code, PatchSite site, NopTable nops) {
        byte[] out = new byte[site.length()];
        System.arraycopy(code, 0, out, 0, code.length);
        nops.fill(out, code.length, out.length - code.length, site.isa());
        return new Outcome(null, strategy, out);
    }
}
