package io.github.pvpatch.zydis;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * A Zydis decoder for one machine mode. Immutable and safe to share between threads: the shim
 * keeps no state between calls.
 *
 * <p>Every method checks its offsets and lengths before the native call and throws
 * {@link IndexOutOfBoundsException} for a range outside the array; bytes that are no instruction
 * give an empty result, never an exception or a crash.
 *
 * <pre>{@code
 * ZydisDecoder d = ZydisDecoder.of(MachineMode.X86_64);
 * byte[] code = {(byte) 0xff, 0x15, 0x02, 0x20, 0x00, 0x00};
 * Instruction call = d.decode(code, 0, code.length, 0x1000).orElseThrow();
 * call.mnemonic();                                          // "call"
 * call.memory().orElseThrow().absoluteAddress();            // OptionalLong[0x3008]
 * d.format(code, 0, code.length, 0x1000, Syntax.ATT);       // Optional["call *0x2002(%rip)"]
 * }</pre>
 */
public final class ZydisDecoder {
    /** The longest x86 instruction. */
    public static final int MAX_INSTRUCTION_LENGTH = 15;

    private final MachineMode mode;

    private ZydisDecoder(MachineMode mode) {
        this.mode = mode;
    }

    /** One decoder per mode: a decoder is immutable and thread-safe, so every caller shares it. */
    private static final ZydisDecoder[] SHARED = java.util.Arrays.stream(MachineMode.values())
            .map(ZydisDecoder::new).toArray(ZydisDecoder[]::new);

    /**
     * {@return the decoder for {@code mode}, shared: decoders are immutable and thread-safe}
     *
     * @param mode 32- or 64-bit
     * @throws ZydisUnavailableException if the shim cannot be loaded here
     */
    public static ZydisDecoder of(MachineMode mode) {
        Objects.requireNonNull(mode, "mode");
        Zydis.requireAvailable();
        return SHARED[mode.ordinal()];
    }

    /** {@return the machine mode} */
    public MachineMode mode() {
        return mode;
    }

    /**
     * {@return the instruction at {@code code[offset]}, reading at most {@code length} bytes;
     * empty when they are no instruction}
     *
     * @param code the bytes
     * @param offset where the instruction starts
     * @param length how many bytes may be read (more than 15 are not needed)
     * @param address the instruction's address, for relative operands
     * @throws IndexOutOfBoundsException if the range is outside {@code code}
     */
    public Optional<Instruction> decode(byte[] code, int offset, int length, long address) {
        Objects.checkFromIndexSize(offset, length, Objects.requireNonNull(code, "code").length);
        long[] out = new long[ZydisNative.OUT_SIZE];
        int status = ZydisNative.decodeOne(mode.bits(), code, offset, length, address, out);
        if (status == -1) {
            return Optional.empty();
        }
        if (status != 0) {
            throw new IllegalStateException("shim refused decodeOne offset=" + offset + " length=" + length
                    + " status=" + status);
        }
        int flags = (int) out[ZydisNative.OUT_FLAGS];
        Optional<MemoryOperand> memory = Optional.empty();
        if ((flags & ZydisNative.F_MEMORY) != 0) {
            memory = Optional.of(new MemoryOperand((int) out[ZydisNative.OUT_MEM_BASE],
                    (int) out[ZydisNative.OUT_MEM_INDEX], (int) out[ZydisNative.OUT_MEM_SCALE],
                    out[ZydisNative.OUT_MEM_DISP], (flags & ZydisNative.F_MEM_ADDRESS) != 0
                            ? OptionalLong.of(out[ZydisNative.OUT_MEM_ADDRESS]) : OptionalLong.empty()));
        }
        int mnemonic = (int) out[ZydisNative.OUT_MNEMONIC];
        int disp = (int) out[ZydisNative.OUT_DISP_OFFSET];
        int imm = (int) out[ZydisNative.OUT_IMM_OFFSET];
        return Optional.of(new Instruction(address, (int) out[ZydisNative.OUT_LENGTH], mnemonic,
                Zydis.Mnemonics.name(mnemonic),
                (flags & ZydisNative.F_BRANCH) != 0 ? OptionalLong.of(out[ZydisNative.OUT_BRANCH_TARGET])
                        : OptionalLong.empty(),
                memory, (int) out[ZydisNative.OUT_WRITTEN], (int) out[ZydisNative.OUT_READ],
                disp >= 0 ? OptionalInt.of(disp) : OptionalInt.empty(),
                imm >= 0 ? OptionalInt.of(imm) : OptionalInt.empty(), (int) out[ZydisNative.OUT_IMM_SIZE],
                (flags & ZydisNative.F_FAR) != 0));
    }

    /**
     * Decodes {@code code[offset .. offset+length)} from start to end in one native call: a linear
     * sweep in which a byte that starts no instruction becomes a one-byte invalid entry and the
     * sweep goes on.
     *
     * @param code the bytes
     * @param offset the first byte
     * @param length how many bytes
     * @param address the address of {@code code[offset]}
     * @return a new buffer holding the result
     * @throws IndexOutOfBoundsException if the range is outside {@code code}
     */
    public DecodedBuffer decodeAll(byte[] code, int offset, int length, long address) {
        return decodeAll(code, offset, length, address, new DecodedBuffer());
    }

    /**
     * Decodes as {@link #decodeAll(byte[], int, int, long)}, into {@code into}, which grows when
     * needed and is otherwise reused, so a loop over many buffers allocates nothing.
     *
     * @param code the bytes
     * @param offset the first byte
     * @param length how many bytes
     * @param address the address of {@code code[offset]}
     * @param into the buffer to fill (its earlier content is replaced)
     * @return {@code into}
     * @throws IndexOutOfBoundsException if the range is outside {@code code}
     */
    public DecodedBuffer decodeAll(byte[] code, int offset, int length, long address, DecodedBuffer into) {
        Objects.checkFromIndexSize(offset, length, Objects.requireNonNull(code, "code").length);
        Objects.requireNonNull(into, "into");
        if (length <= ZydisNative.SMALL_MAX) {
            return decodeSmall(code, offset, length, address, into);
        }
        // Kernel code averages about 4 bytes an instruction; the loop grows the arrays if not.
        into.ensureCapacity(length / 3 + 16);
        int count = 0;
        int consumed = 0;
        while (consumed < length) {
            if (count == into.capacity()) {
                into.ensureCapacity(count + (length - consumed) / 2 + 16);
            }
            int before = count;
            count = ZydisNative.decodeAll(mode.bits(), code, offset + consumed, length - consumed, address + consumed,
                    count, into.offsets, into.lengths, into.mnemonics, into.flags, into.targets, into.memAddresses,
                    into.written);
            if (count <= before) {
                throw new IllegalStateException("shim refused decodeAll offset=" + (offset + consumed) + " length="
                        + (length - consumed) + " status=" + count);
            }
            for (int i = before; i < count; i++) {
                into.offsets[i] += consumed;
            }
            consumed = into.offsets[count - 1] + into.lengths[count - 1];
        }
        into.set(count, address);
        return into;
    }

    /**
     * Decodes two ranges as two calls of {@link #decodeAll(byte[], int, int, long, DecodedBuffer)}
     * would, into two buffers, with one native call when both are short (a patched site and the
     * code it must hold, say): the same results, half the crossings.
     *
     * @param code the first range's bytes
     * @param offset its first byte
     * @param length its length
     * @param address the address of {@code code[offset]}
     * @param into the buffer for the first range
     * @param code2 the second range's bytes
     * @param offset2 its first byte
     * @param length2 its length
     * @param address2 the address of {@code code2[offset2]}
     * @param into2 the buffer for the second range; not {@code into}
     * @throws IndexOutOfBoundsException if a range is outside its array
     * @throws IllegalArgumentException if {@code into} and {@code into2} are the same buffer
     */
    public void decodeAll(byte[] code, int offset, int length, long address, DecodedBuffer into, byte[] code2,
            int offset2, int length2, long address2, DecodedBuffer into2) {
        Objects.checkFromIndexSize(offset, length, Objects.requireNonNull(code, "code").length);
        Objects.checkFromIndexSize(offset2, length2, Objects.requireNonNull(code2, "code2").length);
        if (Objects.requireNonNull(into, "into") == Objects.requireNonNull(into2, "into2")) {
            throw new IllegalArgumentException("into and into2 are the same buffer");
        }
        if (length > ZydisNative.SMALL_MAX || length2 > ZydisNative.SMALL_MAX) {
            decodeAll(code, offset, length, address, into);
            decodeAll(code2, offset2, length2, address2, into2);
            return;
        }
        long[] p = packed(into);
        int both = ZydisNative.decodeSmallPair(mode.bits(), code, offset, length, address, code2, offset2, length2,
                address2, p);
        int count = both & 0xFFFF;
        int count2 = both >>> 16;
        if (both < 0 || count > length || count2 > length2) {
            throw new IllegalStateException("shim refused decodeSmallPair offset=" + offset + " length=" + length
                    + " offset2=" + offset2 + " length2=" + length2 + " status=" + both);
        }
        unpack(p, 0, count, address, into);
        unpack(p, count * ZydisNative.SMALL_STRIDE, count2, address2, into2);
    }

    /** A site's few bytes: one native call that pins nothing, its entries unpacked here. */
    private DecodedBuffer decodeSmall(byte[] code, int offset, int length, long address, DecodedBuffer into) {
        long[] p = packed(into);
        int count = ZydisNative.decodeSmall(mode.bits(), code, offset, length, address, p);
        if (count < 0 || count > length) {
            throw new IllegalStateException("shim refused decodeSmall offset=" + offset + " length=" + length
                    + " status=" + count);
        }
        return unpack(p, 0, count, address, into);
    }

    /** {@return the buffer's landing array for packed entries, room for two small ranges} */
    private static long[] packed(DecodedBuffer into) {
        long[] p = into.packed;
        if (p == null) {
            p = into.packed = new long[2 * ZydisNative.SMALL_MAX * ZydisNative.SMALL_STRIDE];
        }
        return p;
    }

    private static DecodedBuffer unpack(long[] p, int from, int count, long address, DecodedBuffer into) {
        into.ensureCapacity(Math.max(count, 1));
        for (int i = 0, k = from; i < count; i++, k += ZydisNative.SMALL_STRIDE) {
            long w = p[k];
            into.offsets[i] = (int) (w & 0xFFFF);
            into.lengths[i] = (byte) (w >>> 16);
            into.flags[i] = (byte) (w >>> 24);
            into.written[i] = (short) (w >>> 32);
            into.mnemonics[i] = (short) (w >>> 48);
            into.targets[i] = p[k + 1];
            into.memAddresses[i] = p[k + 2];
        }
        into.set(count, address);
        return into;
    }

    /**
     * {@return the instruction at {@code code[offset]} as text, empty when the bytes are no
     * instruction}
     *
     * @param code the bytes
     * @param offset where the instruction starts
     * @param length how many bytes may be read
     * @param address its address, for relative operands
     * @param syntax Intel or AT&amp;T
     * @throws IndexOutOfBoundsException if the range is outside {@code code}
     */
    public Optional<String> format(byte[] code, int offset, int length, long address, Syntax syntax) {
        Objects.checkFromIndexSize(offset, length, Objects.requireNonNull(code, "code").length);
        Objects.requireNonNull(syntax, "syntax");
        return Optional.ofNullable(ZydisNative.format(mode.bits(), syntax == Syntax.ATT ? 1 : 0, code, offset,
                length, address));
    }

    @Override
    public String toString() {
        return "ZydisDecoder[" + mode + "]";
    }
}
