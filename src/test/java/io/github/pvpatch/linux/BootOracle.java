package io.github.pvpatch.linux;

import io.github.pvpatch.zydis.Instruction;
import io.github.pvpatch.zydis.MachineMode;
import io.github.pvpatch.zydis.Syntax;
import io.github.pvpatch.zydis.ZydisDecoder;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongFunction;
import java.util.regex.Pattern;

/**
 * Judges a prelinked paravirt site against the bytes the kernel itself wrote at the same address
 * while booting (the oracle), with the Zydis binding and nothing of pvpatch's patching code.
 *
 * <p>Both byte ranges are decoded and their filler dropped: every NOP form ({@code 90},
 * {@code 66 90}, {@code 0f 1f /0}) and, in 32-bit code, the register-to-itself {@code lea} and
 * {@code mov} the i386 kernel pads with ({@code 8d 76 00}, {@code 8d 74 26 00}, {@code 89 f6},
 * ...). What remains is compared instruction by instruction, a relative branch by its absolute
 * target and a RIP-relative operand by its absolute address, so the same code at another offset
 * in the site is the same. A site is then:
 * <ul>
 * <li>{@link Verdict#EQUAL}: the same instructions as the kernel's;</li>
 * <li>{@link Verdict#BEYOND}: the kernel calls a function directly and the site holds exactly
 *     that function's body (its instructions up to its {@code ret}, leading {@code endbr} and
 *     NOPs skipped): inlined where the kernel calls;</li>
 * <li>{@link Verdict#WORSE}: the site calls (directly or through the slot) where the kernel runs
 *     native code or nothing, or still calls through the slot where the kernel calls directly;</li>
 * <li>{@link Verdict#WRONG}: anything else, such as another callee, other native code, or NOPs
 *     where the kernel runs code.</li>
 * </ul>
 */
final class BootOracle {
    /** How a site compares with the kernel's own bytes. */
    enum Verdict { EQUAL, BEYOND, WORSE, WRONG }

    /**
     * One instruction that is not filler.
     *
     * @param key what identifies it independent of where it sits
     * @param text Intel syntax at its address, for messages
     * @param mnemonic Zydis' mnemonic
     * @param directTarget the target of a relative {@code call} or {@code jmp}, or -1
     */
    record Insn(String key, String text, String mnemonic, long directTarget) {
        boolean isCall() {
            return mnemonic.equals("call");
        }

        boolean isDirectCall() {
            return isCall() && directTarget != -1;
        }
    }

    /**
     * The judgement of one site.
     *
     * @param verdict the verdict
     * @param detail the two sides as text, for a failure message
     */
    record Judgement(Verdict verdict, String detail) {
    }

    private static final Pattern LEA_NOP32 =
            Pattern.compile("lea (e[a-z]{2}), \\[\\1(\\+eiz(\\*1)?)?(\\+0x0+)?\\]");
    private static final Pattern MOV_NOP32 = Pattern.compile("mov (e[a-z]{2}), \\1");
    private static final int MAX_BODY = 32;

    private final ZydisDecoder decoder;
    private final MachineMode mode;

    private BootOracle(MachineMode mode) {
        this.mode = mode;
        this.decoder = ZydisDecoder.of(mode);
    }

    /** {@return an oracle for code of {@code mode}} */
    static BootOracle of(MachineMode mode) {
        return new BootOracle(Objects.requireNonNull(mode, "mode"));
    }

    /**
     * {@return the non-filler instructions of {@code code[offset .. offset+length)} at
     * {@code address}; a byte that starts no instruction becomes a {@code (bad)} entry}
     */
    List<Insn> instructions(byte[] code, int offset, int length, long address) {
        List<Insn> out = new ArrayList<>();
        int at = offset;
        while (at < offset + length) {
            long here = address + (at - offset);
            Optional<Instruction> d = decoder.decode(code, at, Math.min(15, offset + length - at), here);
            if (d.isEmpty()) {
                String b = String.format("(bad %02x)", code[at] & 0xFF);
                out.add(new Insn(b, b, "(bad)", -1));
                at++;
                continue;
            }
            Instruction i = d.get();
            String text = decoder.format(code, at, i.length(), here, Syntax.INTEL).orElse("?");
            if (!isFiller(i, text)) {
                out.add(insn(i, text));
            }
            at += i.length();
        }
        return out;
    }

    private boolean isFiller(Instruction i, String text) {
        if (i.isNop()) {
            return true;
        }
        return mode == MachineMode.X86_32 && (LEA_NOP32.matcher(text).matches() || MOV_NOP32.matcher(text).matches());
    }

    private static Insn insn(Instruction i, String text) {
        String key = text;
        long direct = -1;
        if (i.branchTarget().isPresent()) {
            direct = i.branchTarget().getAsLong();
            key = i.mnemonic() + " ->0x" + Long.toHexString(direct);
        } else if (i.memory().isPresent() && i.memory().get().isRipRelative()
                && i.memory().get().absoluteAddress().isPresent()) {
            key = i.mnemonic() + " rip->0x" + Long.toHexString(i.memory().get().absoluteAddress().getAsLong())
                    + " " + text.replaceAll("\\[rip[^\\]]*\\]", "[]");
        }
        return new Insn(key, text, i.mnemonic(), direct);
    }

    /**
     * {@return the body of the function at {@code address} in {@code code} (which starts at
     * {@code base}): its non-filler instructions after any leading {@code endbr} and NOPs, up to
     * its {@code ret} or a {@code jmp} to a {@code ret} (a return thunk); empty when it branches
     * anywhere else first, or is longer than 32 instructions}
     */
    Optional<List<Insn>> body(byte[] code, long base, long address) {
        List<Insn> out = new ArrayList<>();
        long at = address;
        boolean start = true;
        for (int n = 0; n < MAX_BODY + 8; n++) {
            Optional<Instruction> d = decodeAt(code, base, at);
            if (d.isEmpty()) {
                return Optional.empty();
            }
            Instruction i = d.get();
            int off = (int) (at - base);
            String text = decoder.format(code, off, i.length(), at, Syntax.INTEL).orElse("?");
            at += i.length();
            if (isFiller(i, text) || (start && i.mnemonic().startsWith("endbr"))) {
                continue;
            }
            start = false;
            if (i.mnemonic().equals("ret")) {
                return Optional.of(out);
            }
            if (i.mnemonic().equals("jmp") && i.branchTarget().isPresent()) {
                Optional<Instruction> t = decodeAt(code, base, i.branchTarget().getAsLong());
                return t.isPresent() && t.get().mnemonic().equals("ret") ? Optional.of(out) : Optional.empty();
            }
            if (i.branchTarget().isPresent() || i.mnemonic().equals("call") || i.mnemonic().equals("jmp")
                    || out.size() == MAX_BODY) {
                return Optional.empty();
            }
            out.add(insn(i, text));
        }
        return Optional.empty();
    }

    private Optional<Instruction> decodeAt(byte[] code, long base, long address) {
        long off = address - base;
        if (off < 0 || off >= code.length) {
            return Optional.empty();
        }
        return decoder.decode(code, (int) off, (int) Math.min(15, code.length - off), address);
    }

    /**
     * Judges one site.
     *
     * @param address the site's address
     * @param kernel the bytes the kernel wrote there at boot
     * @param ours the bytes the prelinked image holds there (as long as {@code kernel})
     * @param bodies the body of a function by address, as {@link #body} finds it
     * @return the verdict and both sides as text
     */
    Judgement judge(long address, byte[] kernel, byte[] ours, LongFunction<Optional<List<Insn>>> bodies) {
        if (kernel.length != ours.length) {
            throw new IllegalArgumentException("site 0x" + Long.toHexString(address) + ": kernel length="
                    + kernel.length + " ours length=" + ours.length);
        }
        List<Insn> k = instructions(kernel, 0, kernel.length, address);
        List<Insn> p = instructions(ours, 0, ours.length, address);
        String detail = String.format("site 0x%x: kernel [%s] %s, pvpatch [%s] %s", address, hex(kernel), texts(k),
                hex(ours), texts(p));
        if (keys(k).equals(keys(p))) {
            return new Judgement(Verdict.EQUAL, detail);
        }
        boolean weCall = p.stream().anyMatch(Insn::isCall);
        boolean kernelCalls = k.stream().anyMatch(Insn::isCall);
        if (k.size() == 1 && k.get(0).isDirectCall()) {
            long f = k.get(0).directTarget();
            Optional<List<Insn>> body = bodies.apply(f);
            if (body.isPresent() && keys(body.get()).equals(keys(p))) {
                return new Judgement(Verdict.BEYOND, detail);
            }
            boolean slotCall = p.size() == 1 && p.get(0).isCall() && !p.get(0).isDirectCall();
            return new Judgement(slotCall ? Verdict.WORSE : Verdict.WRONG, detail
                    + body.map(b -> "; callee 0x" + Long.toHexString(f) + " body " + texts(b))
                            .orElse("; callee 0x" + Long.toHexString(f) + " has no inlinable body"));
        }
        return new Judgement(weCall && !kernelCalls ? Verdict.WORSE : Verdict.WRONG, detail);
    }

    private static List<String> keys(List<Insn> l) {
        List<String> out = new ArrayList<>(l.size());
        for (Insn i : l) {
            out.add(i.key());
        }
        return out;
    }

    private static String texts(List<Insn> l) {
        List<String> out = new ArrayList<>(l.size());
        for (Insn i : l) {
            out.add(i.text());
        }
        return out.isEmpty() ? "(filler only)" : String.join("; ", out);
    }

    private static String hex(byte[] b) {
        return HexFormat.ofDelimiter(" ").formatHex(b);
    }

    /** Counts verdicts and keeps the first few non-passing judgements. */
    static final class Tally {
        private final Map<Verdict, Integer> counts = new EnumMap<>(Verdict.class);
        private final List<String> bad = new ArrayList<>();

        void add(Judgement j) {
            counts.merge(j.verdict(), 1, Integer::sum);
            if ((j.verdict() == Verdict.WORSE || j.verdict() == Verdict.WRONG) && bad.size() < 12) {
                bad.add(j.verdict() + " " + j.detail());
            }
        }

        int count(Verdict v) {
            return counts.getOrDefault(v, 0);
        }

        int sites() {
            return counts.values().stream().mapToInt(Integer::intValue).sum();
        }

        /** {@return the first non-passing judgements, one a line} */
        String examples() {
            return String.join("\n", bad);
        }

        /** {@return "N sites, E equal, B beyond, W worse, X wrong"} */
        String summary() {
            return String.format("%d sites, %d equal, %d beyond, %d worse, %d wrong", sites(), count(Verdict.EQUAL),
                    count(Verdict.BEYOND), count(Verdict.WORSE), count(Verdict.WRONG));
        }
    }
}
