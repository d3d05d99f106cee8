package io.github.pvpatch.exec;

import static org.quicktheories.generators.SourceDSL.integers;

import io.github.pvpatch.Relocation;
import io.github.pvpatch.arch.Isa;
import io.github.pvpatch.testing.Generators;
import java.util.ArrayList;
import java.util.List;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * Generated native code with relative branches to its own start, its end, inside itself and
 * outside it, each {@code rel8} or {@code rel32}, that runs in user mode and writes only eax/rax
 * (and the flags): the shapes of the kernel's {@code need_reloc} rule ({@code [src, src+len]} is
 * inside, end included).
 *
 * <ul>
 * <li>start: {@code shr eax,1; jnz start}, first in the code, loops at most 64 times;
 * <li>end: {@code test edi,edi; jz end};
 * <li>inside: {@code test esi,esi; jz over; filler; over:};
 * <li>outside: {@code xor eax,eax; jnz away}, never taken, {@code away} before the start or past
 *     the end;
 * <li>filler: {@code inc eax}, {@code add eax,7}, {@code not eax}, {@code nop}, and on x86-64
 *     {@code inc rax}.
 * </ul>
 *
 * @param code the bytes
 * @param branches each relative field: where it is, its size, where its instruction ends, and
 *     its target relative to the code's start
 */
public record BranchingNative(byte[] code, List<Branch> branches) {
    /** Kinds of branch. */
    public enum Kind { START, END, INSIDE, OUTSIDE }

    /**
     * One relative field.
     *
     * @param kind what it aims at
     * @param fieldOffset where its displacement is
     * @param fieldSize 1 or 4
     * @param instructionEnd where its instruction ends
     * @param target its target, relative to the code's first byte
     */
    public record Branch(Kind kind, int fieldOffset, int fieldSize, int instructionEnd, int target) {
        /** {@return the relocation of this field} */
        public Relocation relocation() {
            return Relocation.of(fieldOffset, fieldSize, instructionEnd);
        }
    }

    /** {@return whether some branch aims outside the code} */
    public boolean reachesOutside() {
        return branches.stream().anyMatch(b -> b.kind() == Kind.OUTSIDE);
    }

    /** {@return the relocations of every relative field} */
    public List<Relocation> relocations() {
        return branches.stream().map(Branch::relocation).toList();
    }

    /** {@return generated code for {@code isa}, at most {@code maxLength} bytes} */
    public static Gen<BranchingNative> of(Isa isa, int maxLength) {
        Gen<int[]> draws = Generate.intArrays(Generate.constant(4), integers().between(0, 999));
        return Generators.lists(draws, 1, 4).map(list -> build(isa, list, maxLength));
    }

    private static final byte[][] FILLERS_32 = {{(byte) 0xff, (byte) 0xc0}, {(byte) 0x83, (byte) 0xc0, 7},
        {(byte) 0xf7, (byte) 0xd0}, {(byte) 0x90}};
    private static final byte[][] FILLERS_64 = {{(byte) 0xff, (byte) 0xc0}, {(byte) 0x83, (byte) 0xc0, 7},
        {(byte) 0xf7, (byte) 0xd0}, {(byte) 0x90}, {0x48, (byte) 0xff, (byte) 0xc0}};

    private static BranchingNative build(Isa isa, List<int[]> draws, int maxLength) {
        byte[][] fillers = isa == Isa.X86_64 ? FILLERS_64 : FILLERS_32;
        List<Byte> out = new ArrayList<>();
        List<Branch> branches = new ArrayList<>();
        List<Integer> ends = new ArrayList<>();   // branches aimed at the end, filled in last
        for (int i = 0; i < draws.size(); i++) {
            int[] d = draws.get(i);
            boolean rel32 = d[1] % 3 == 0;
            int before = out.size();
            Kind kind = i == 0 && d[0] % 5 == 0 ? Kind.START : Kind.values()[1 + d[0] % 4 % 3];
            if (d[0] % 5 == 4) {
                kind = null;   // plain filler
            }
            if (kind == null) {
                add(out, fillers[d[2] % fillers.length]);
            } else if (kind == Kind.START) {
                if (isa == Isa.X86_64 && d[2] % 2 == 0) {
                    add(out, new byte[] {0x48, (byte) 0xd1, (byte) 0xe8});   // shr rax,1
                } else {
                    add(out, new byte[] {(byte) 0xd1, (byte) 0xe8});         // shr eax,1
                }
                branches.add(branch(out, Kind.START, rel32, 0x75, 0));
            } else if (kind == Kind.END) {
                add(out, new byte[] {(byte) 0x85, (byte) 0xff});             // test edi,edi
                branches.add(branch(out, Kind.END, rel32, 0x74, -1));
                ends.add(branches.size() - 1);
            } else if (kind == Kind.INSIDE) {
                add(out, new byte[] {(byte) 0x85, (byte) 0xf6});             // test esi,esi
                byte[] filler = fillers[d[2] % fillers.length];
                int end = out.size() + (rel32 ? 6 : 2) + filler.length;
                branches.add(branch(out, Kind.INSIDE, rel32, 0x74, end));
                add(out, filler);
            } else {
                add(out, new byte[] {0x31, (byte) 0xc0});                    // xor eax,eax
                int away = 1 + d[3] % (rel32 ? 200 : 90);   // a rel8 one still fits its field
                branches.add(branch(out, Kind.OUTSIDE, rel32, 0x75, d[3] % 2 == 0 ? -away : Integer.MIN_VALUE + away));
            }
            if (out.size() > maxLength) {
                while (out.size() > before) {
                    out.remove(out.size() - 1);
                }
                if (!branches.isEmpty() && branches.get(branches.size() - 1).fieldOffset() >= before) {
                    if (!ends.isEmpty() && ends.get(ends.size() - 1) == branches.size() - 1) {
                        ends.remove(ends.size() - 1);
                    }
                    branches.remove(branches.size() - 1);
                }
                break;
            }
        }
        if (out.isEmpty()) {
            out.add((byte) 0x90);
        }
        byte[] code = new byte[out.size()];
        for (int i = 0; i < code.length; i++) {
            code[i] = out.get(i);
        }
        // Resolve the targets known only now: the end, and "past the end" outside targets.
        List<Branch> done = new ArrayList<>();
        for (Branch b : branches) {
            int target = b.kind() == Kind.END ? code.length
                    : b.target() < -1000 ? code.length + (b.target() - Integer.MIN_VALUE) : b.target();
            Branch r = new Branch(b.kind(), b.fieldOffset(), b.fieldSize(), b.instructionEnd(), target);
            put(code, r.fieldOffset(), r.fieldSize(), target - r.instructionEnd());
            done.add(r);
        }
        return new BranchingNative(code, List.copyOf(done));
    }

    /** Appends {@code jcc} with condition {@code shortOpcode} (0x74 jz, 0x75 jnz); displacement filled later. */
    private static Branch branch(List<Byte> out, Kind kind, boolean rel32, int shortOpcode, int target) {
        if (rel32) {
            add(out, new byte[] {0x0f, (byte) (shortOpcode + 0x10), 0, 0, 0, 0});
            return new Branch(kind, out.size() - 4, 4, out.size(), target);
        }
        add(out, new byte[] {(byte) shortOpcode, 0});
        return new Branch(kind, out.size() - 1, 1, out.size(), target);
    }

    private static void add(List<Byte> out, byte[] bytes) {
        for (byte b : bytes) {
            out.add(b);
        }
    }

    /** Writes a displacement (the generator keeps rel8 ones within a byte). */
    private static void put(byte[] code, int at, int size, int disp) {
        for (int i = 0; i < size; i++) {
            code[at + i] = (byte) (disp >>> (8 * i));
        }
    }

    /** {@return the signed displacement in {@code bytes} at {@code at} of {@code size} bytes} */
    public static long displacement(byte[] bytes, int at, int size) {
        long v = 0;
        for (int i = size - 1; i >= 0; i--) {
            v = v << 8 | (bytes[at + i] & 0xFF);
        }
        int shift = 64 - 8 * size;
        return v << shift >> shift;
    }

    @Override
    public String toString() {
        return "BranchingNative{" + io.github.pvpatch.testing.Hex.of(code) + " " + branches + "}";
    }
}
