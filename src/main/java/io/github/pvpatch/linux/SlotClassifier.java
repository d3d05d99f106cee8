package io.github.pvpatch.linux;

import io.github.pvpatch.ClobberSet;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.Op;
import io.github.pvpatch.arch.Register;
import io.github.pvpatch.verify.NativeScanner;
import io.github.pvpatch.zydis.Instruction;
import io.github.pvpatch.zydis.MachineMode;
import io.github.pvpatch.zydis.ZydisDecoder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads a slot's target in the image with the disassembler and decides what it is (see
 * {@link SlotTarget.Kind}). Kernels built with return thunks end functions with
 * {@code jmp __x86_return_thunk} instead of {@code ret}; a jump to code that starts with
 * {@code ret} counts as a return. {@code endbr} landing pads are skipped.
 */
final class SlotClassifier {
    /** The longest body considered for inlining, in instructions. */
    private static final int MAX_NATIVE_INSTRUCTIONS = 6;
    private static final int READ = 96;

    private final ElfFile elf;
    /** {@code endbr64} is {@code F3 0F 1E FA}, {@code endbr32} {@code F3 0F 1E FB}: these three, then the last. */
    private static final int[] ENDBR = {0xF3, 0x0F, 0x1E};
    private static final int ENDBR64_LAST = 0xFA;
    private static final int ENDBR32_LAST = 0xFB;
    private static final int ENDBR_LENGTH = 4;
    /** {@code ret}, the near return. */
    private static final int RET = 0xC3;

    private final Isa isa;
    private final ZydisDecoder decoder;

    SlotClassifier(ElfFile elf) {
        this.elf = elf;
        this.isa = elf.isa();
        this.decoder = ZydisDecoder.of(MachineMode.of(isa));
    }

    /**
     * Classifies the target of slot {@code type}.
     *
     * @param minLength the shortest site of the slot
     * @param allowed the registers every site of the slot lets its code destroy
     * @param calleeSave whether some site of the slot is a callee-save site (it lets its code
     *     destroy at most the return registers)
     */
    SlotTarget classify(int type, long target, int minLength, ClobberSet allowed, boolean calleeSave) {
        byte[] code = readCode(target);
        List<Instruction> body = new ArrayList<>();
        int at = 0;
        // endbr64 / endbr32 landing pads are not part of what the function does.
        while (at + ENDBR_LENGTH <= code.length && (code[at] & 0xFF) == ENDBR[0] && (code[at + 1] & 0xFF) == ENDBR[1]
                && (code[at + 2] & 0xFF) == ENDBR[2]
                && ((code[at + 3] & 0xFF) == ENDBR64_LAST || (code[at + 3] & 0xFF) == ENDBR32_LAST)) {
            at += ENDBR_LENGTH;
        }
        int bodyStart = at;
        boolean returns = false;
        while (at < code.length && body.size() <= 40) {
            Optional<Instruction> next = decoder.decode(code, at, code.length - at, target + at);
            if (next.isEmpty()) {
                break;
            }
            Instruction insn = next.get();
            if (isReturn(insn)) {
                returns = true;
                break;
            }
            body.add(insn);
            at += insn.length();
        }
        if (returns && body.isEmpty()) {
            return new SlotTarget(type, target, SlotTarget.Kind.NOP, Op.nop(), SlotTarget.Evidence.READ_FROM_CODE,
                    "returns at once (nop)");
        }
        if (returns) {
            SlotTarget thunk = thunk(type, target, body);
            if (thunk != null) {
                return thunk;
            }
            byte[] native_ = java.util.Arrays.copyOfRange(code, bodyStart, at);
            if (body.size() <= MAX_NATIVE_INSTRUCTIONS && straightLine(body) && native_.length <= minLength) {
                Op.Native op = NativeScanner.scan(isa, target + bodyStart, native_);
                if (allowed.containsAll(op.clobbers())) {
                    return new SlotTarget(type, target, SlotTarget.Kind.NATIVE, op, SlotTarget.Evidence.READ_FROM_CODE,
                            "native "
                            + java.util.HexFormat.ofDelimiter(" ").formatHex(native_) + " (" + text(body) + ")");
                }
            }
        }
        // A C function destroys what the ABI lets it. A slot used at callee-save sites holds,
        // by the kernel's contract, a function that saves everything else: assumed, not proven.
        ClobberSet clobbers = calleeSave ? returnRegisters(isa) : ClobberSet.callerSaved(isa);
        return new SlotTarget(type, target, SlotTarget.Kind.FUNCTION, Op.call(target, clobbers, true),
                calleeSave ? SlotTarget.Evidence.KERNEL_CONTRACT : SlotTarget.Evidence.C_ABI,
                calleeSave ? "function, assumed callee-save by the kernel's contract" : "function (C ABI clobbers)");
    }

    /** {@return the registers a callee-save function may destroy: eax and edx on i386 (CLBR_RET_REG), rax on x86-64} */
    static ClobberSet returnRegisters(Isa isa) {
        return isa == Isa.X86_32 ? ClobberSet.of(Register.EAX, Register.EDX) : ClobberSet.of(Register.RAX);
    }

    /**
     * Pushes, one direct call, the same registers popped in mirror order: the kernel's
     * PV_CALLEE_SAVE thunk. Frame-pointer builds set up a frame first ({@code push %ebp; mov
     * %esp,%ebp}), which the pairing skips: the frame pointer is popped like any save.
     */
    private SlotTarget thunk(int type, long target, List<Instruction> all) {
        List<Instruction> body = new ArrayList<>(all.size());
        for (int i = 0; i < all.size(); i++) {
            boolean framePointer = i > 0 && register(all.get(i - 1), "push") == 5 && isMovSpToBp(all.get(i));
            if (!framePointer) {
                body.add(all.get(i));
            }
        }
        int n = body.size();
        if (n < 3 || n % 2 == 0) {
            return null;
        }
        int pushes = n / 2;
        int saved = 0;
        for (int i = 0; i < pushes; i++) {
            int pushed = register(body.get(i), "push");
            int popped = register(body.get(n - 1 - i), "pop");
            if (pushed < 0 || pushed != popped) {
                return null;
            }
            saved |= 1 << pushed;
        }
        Instruction call = body.get(pushes);
        if (!call.mnemonic().equals("call") || call.branchTarget().isEmpty()) {
            return null;
        }
        ClobberSet clobbers = ClobberSet.callerSaved(isa).minus(ClobberSet.ofBits(saved));
        return new SlotTarget(type, target, SlotTarget.Kind.CALLEE_SAVE_THUNK, Op.call(target, clobbers,
                clobbers.contains(Register.RAX)), SlotTarget.Evidence.READ_FROM_CODE, "callee-save thunk around call 0x"
                + Long.toHexString(call.branchTarget().getAsLong()) + ", saves " + ClobberSet.ofBits(saved).toString(isa));
    }

    /** {@return whether {@code insn} is {@code mov %esp,%ebp} or {@code mov %rsp,%rbp}} */
    private static boolean isMovSpToBp(Instruction insn) {
        return insn.mnemonic().equals("mov") && insn.memory().isEmpty() && insn.registersWritten() == 1 << 5
                && (insn.registersRead() & ~(1 << 4)) == 0 && (insn.registersRead() & (1 << 4)) != 0;
    }

    /** {@return the register of a plain {@code push r}/{@code pop r}, or -1} */
    private static int register(Instruction insn, String mnemonic) {
        if (!insn.mnemonic().equals(mnemonic) || insn.memory().isPresent()) {
            return -1;
        }
        int regs = (mnemonic.equals("push") ? insn.registersRead() : insn.registersWritten()) & ~(1 << 4);
        return Integer.bitCount(regs) == 1 ? Integer.numberOfTrailingZeros(regs) : -1;
    }

    /** No branches, no calls, no stack-relative operands, pushes balanced by pops: safe to inline. */
    private static boolean straightLine(List<Instruction> body) {
        int depth = 0;
        for (Instruction insn : body) {
            String m = insn.mnemonic();
            if (insn.branchTarget().isPresent() || m.startsWith("call") || m.startsWith("ret") || m.startsWith("jmp")
                    || m.equals("int3") || m.equals("ud2") || insn.farBranch()) {
                return false;
            }
            if (insn.memory().isPresent() && insn.memory().get().base() == 4) {
                return false;   // reads its caller's frame, which moves when inlined
            }
            if (m.startsWith("push")) {
                depth++;
            } else if (m.startsWith("pop")) {
                depth--;
            }
            if (depth < 0) {
                return false;
            }
        }
        return depth == 0;
    }

    private boolean isReturn(Instruction insn) {
        if (insn.mnemonic().equals("ret") && !insn.farBranch()) {
            return true;
        }
        if (insn.mnemonic().equals("jmp") && insn.branchTarget().isPresent()) {
            long t = insn.branchTarget().getAsLong();
            try {
                byte[] b = elf.read(t, 1);
                return (b[0] & 0xFF) == RET;   // a return thunk: ret; int3
            } catch (ImageFormatException e) {
                return false;
            }
        }
        return false;
    }

    private byte[] readCode(long target) {
        ElfFile.Section s = elf.sectionAt(target, 1).orElseThrow(() -> new ImageFormatException(
                "slot target 0x" + Long.toHexString(target) + " is outside every section of the image"));
        int n = (int) Math.min(READ, s.size() - (target - s.address()));
        return elf.read(target, n);
    }

    private String text(List<Instruction> body) {
        StringBuilder sb = new StringBuilder();
        for (Instruction insn : body) {
            sb.append(sb.length() == 0 ? "" : "; ").append(insn.mnemonic());
        }
        return sb.toString();
    }
}
