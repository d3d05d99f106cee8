package io.github.pvpatch;

import io.github.pvpatch.internal.Bytes;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Code at a base address: a view over a {@code byte[]} range or a {@link ByteBuffer} that patch
 * plans read and, when applied, write. The view does not copy: writes land in the caller's array
 * or buffer. Only a {@link PatchPlan} or {@link Journal} writes through it, and only after every
 * check of its batch has passed.
 *
 * <p>Thread-safety: the view holds no mutable state of its own (it never moves a
 * {@link ByteBuffer}'s position), so any number of threads may read it at once. Writes are not
 * synchronized: patch one buffer from one thread at a time, as the kernel patches with other CPUs
 * stopped, and do not read it while it is written. A {@link Journal} serializes only its own
 * batch's writes.
 *
 * <pre>{@code
 * byte[] text = Files.readAllBytes(path);
 * CodeBuffer code = CodeBuffer.wrap(text, 0xffffffff81000000L);
 * code.read(0xffffffff81000010L, 6);     // the 6 bytes at that address
 * }</pre>
 */
public final class CodeBuffer {
    private final byte[] array;
    private final int arrayOffset;
    private final ByteBuffer buffer;
    private final int size;
    private final long baseAddress;

    private CodeBuffer(byte[] array, int arrayOffset, ByteBuffer buffer, int size, long baseAddress) {
        this.array = array;
        this.arrayOffset = arrayOffset;
        this.buffer = buffer;
        this.size = size;
        this.baseAddress = baseAddress;
        if (size > 0 && Long.compareUnsigned(baseAddress + size - 1, baseAddress) < 0) {
            throw new IllegalArgumentException("baseAddress=0x" + Long.toHexString(baseAddress) + " size=" + size
                    + " wraps past the top of the address space");
        }
    }

    /**
     * {@return a view of the whole array, its first byte at {@code baseAddress}}
     *
     * @param array the code
     * @param baseAddress the address of {@code array[0]}
     * @throws IllegalArgumentException if the array would run past the top of the address space
     */
    public static CodeBuffer wrap(byte[] array, long baseAddress) {
        return wrap(array, 0, Objects.requireNonNull(array, "array").length, baseAddress);
    }

    /**
     * {@return a view of {@code array[offset .. offset+length)}, its first byte at {@code baseAddress}}
     *
     * @param array the code
     * @param offset the first index of the view
     * @param length the view's size
     * @param baseAddress the address of {@code array[offset]}
     * @throws IndexOutOfBoundsException if the range is outside the array
     * @throws IllegalArgumentException if the view would run past the top of the address space
     */
    public static CodeBuffer wrap(byte[] array, int offset, int length, long baseAddress) {
        Objects.checkFromIndexSize(offset, length, Objects.requireNonNull(array, "array").length);
        return new CodeBuffer(array, offset, null, length, baseAddress);
    }

    /**
     * {@return a view of {@code buffer}'s bytes from its position to its limit, the byte at its
     * position at {@code baseAddress}} The buffer's position and limit are not used or changed
     * afterwards. A read-only buffer can be planned against, but not written.
     *
     * @param buffer the code
     * @param baseAddress the address of the byte at the buffer's position
     * @throws IllegalArgumentException if the view would run past the top of the address space
     */
    public static CodeBuffer wrap(ByteBuffer buffer, long baseAddress) {
        ByteBuffer slice = Objects.requireNonNull(buffer, "buffer").slice();
        if (slice.hasArray() && !slice.isReadOnly()) {
            return new CodeBuffer(slice.array(), slice.arrayOffset(), null, slice.remaining(), baseAddress);
        }
        return new CodeBuffer(null, 0, slice, slice.remaining(), baseAddress);
    }

    /** {@return the address of the first byte} */
    public long baseAddress() {
        return baseAddress;
    }

    /** {@return the number of bytes} */
    public int size() {
        return size;
    }

    /** {@return the address just past the last byte} */
    public long endAddress() {
        return baseAddress + size;
    }

    /** {@return whether patches can be written} */
    public boolean isWritable() {
        return buffer == null || !buffer.isReadOnly();
    }

    /**
     * {@return whether {@code [address, address+length)} lies inside the buffer}
     *
     * @param address the first address
     * @param length the number of bytes
     */
    public boolean contains(long address, long length) {
        long offset = address - baseAddress;
        return length >= 0 && Long.compareUnsigned(offset, size) <= 0 && length <= size - offset;
    }

    /**
     * {@return how many bytes of the buffer there are from {@code address} on; 0 when the address
     * is outside}
     *
     * @param address an address
     */
    public long bytesFrom(long address) {
        long offset = address - baseAddress;
        return Long.compareUnsigned(offset, size) <= 0 ? size - offset : 0;
    }

    /**
     * {@return a copy of {@code length} bytes at {@code address}}
     *
     * @param address the first address
     * @param length the number of bytes
     * @throws IndexOutOfBoundsException if the range is outside the buffer, or the length is
     *     negative
     */
    public byte[] read(long address, int length) {
        index(address, length);   // before the array: a negative length is out of bounds, too
        byte[] out = new byte[length];
        read(address, out, 0, length);
        return out;
    }

    /**
     * Copies {@code length} bytes at {@code address} into {@code dst[offset ..]}.
     *
     * @param address the first address
     * @param dst where to copy
     * @param offset the first index written
     * @param length the number of bytes
     * @throws IndexOutOfBoundsException if either range is outside its array or buffer
     */
    public void read(long address, byte[] dst, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, dst.length);
        int at = index(address, length);
        if (array != null) {
            System.arraycopy(array, at, dst, offset, length);
        } else {
            buffer.get(at, dst, offset, length);
        }
    }

    /**
     * {@return the byte at {@code address}, 0 to 255}
     *
     * @param address the address
     * @throws IndexOutOfBoundsException if the address is outside the buffer
     */
    public int byteAt(long address) {
        int at = index(address, 1);
        return (array != null ? array[at] : buffer.get(at)) & 0xFF;
    }

    /** Writes; callers have checked every range first. */
    void write(long address, byte[] src, int offset, int length) {
        int at = index(address, length);
        if (array != null) {
            System.arraycopy(src, offset, array, at, length);
        } else {
            buffer.put(at, src, offset, length);
        }
    }

    /**
     * Reads for a caller that has already checked the range is inside the buffer (a pass, after
     * its batch check): no second check, and the few bytes of a site moved as C's small
     * {@code memcpy} moves them.
     */
    void readUnchecked(long address, byte[] dst, int offset, int length) {
        if (array == null) {
            read(address, dst, offset, length);
            return;
        }
        Bytes.copy(array, arrayOffset + (int) (address - baseAddress), dst, offset, length);
    }

    /** Writes for a caller that has already checked the range (see {@link #readUnchecked}). */
    void writeUnchecked(long address, byte[] src, int offset, int length) {
        if (array == null) {
            write(address, src, offset, length);
            return;
        }
        Bytes.copy(src, offset, array, arrayOffset + (int) (address - baseAddress), length);
    }

    /** {@return whether the bytes at {@code address} equal {@code src[offset .. offset+length)}} */
    boolean equalsAt(long address, byte[] src, int offset, int length) {
        int at = index(address, length);
        if (array != null) {
            return Arrays.equals(array, at, at + length, src, offset, offset + length);
        }
        for (int i = 0; i < length; i++) {
            if (buffer.get(at + i) != src[offset + i]) {
                return false;
            }
        }
        return true;
    }

    /** {@return the heap array behind the buffer, or null for a direct or read-only buffer} For the engine's loop. */
    byte[] arrayOrNull() {
        return array;
    }

    /** {@return the index in {@link #arrayOrNull()} of the byte at {@link #baseAddress()}} */
    int arrayOffset() {
        return arrayOffset;
    }

    private int index(long address, int length) {
        if (!contains(address, length)) {
            throw new IndexOutOfBoundsException("address=0x" + Long.toHexString(address) + " length=" + length
                    + " is outside buffer=[0x" + Long.toHexString(baseAddress) + ",0x"
                    + Long.toHexString(endAddress()) + ")");
        }
        return arrayOffset + (int) (address - baseAddress);
    }

    @Override
    public String toString() {
        return "CodeBuffer[0x" + Long.toHexString(baseAddress) + ",0x" + Long.toHexString(endAddress()) + ")";
    }
}
