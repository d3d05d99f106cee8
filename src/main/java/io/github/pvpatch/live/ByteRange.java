package io.github.pvpatch.live;

/**
 * Bytes of code a plan writes: what an emulator must invalidate in its translation cache.
 *
 * @param address the first byte
 * @param length the number of bytes, at least 1
 */
public record ByteRange(long address, int length) {
    /**
     * Checks the range.
     *
     * @param address the first byte
     * @param length the number of bytes, at least 1
     * @throws IllegalArgumentException if {@code length} is less than 1
     */
    public ByteRange {
        if (length < 1) {
            throw new IllegalArgumentException("length=" + length + " is less than 1");
        }
    }

    /** {@return the address just past the last byte} */
    public long end() {
        return address + length;
    }

    /** {@return the range as {@code [0x..,0x..)}} */
    @Override
    public String toString() {
        return "[0x" + Long.toHexString(address) + ",0x" + Long.toHexString(end()) + ")";
    }
}
