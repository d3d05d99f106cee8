package io.github.pvpatch.live;

import java.util.Arrays;
import java.util.Objects;

/**
 * One step of a write plan: a write of bytes at an address, or a sync of every CPU.
 * Immutable: {@link #bytes()} returns a copy.
 */
public final class Step {
    private static final byte[] NONE = new byte[0];

    private final Phase phase;
    private final long address;
    private final byte[] bytes;

    private Step(Phase phase, long address, byte[] bytes) {
        this.phase = phase;
        this.address = address;
        this.bytes = bytes;
    }

    /**
     * {@return a write of {@code bytes} at {@code address}}
     *
     * @param phase the protocol phase it belongs to
     * @param address the first address
     * @param bytes the bytes, at least one (copied)
     * @throws IllegalArgumentException if {@code bytes} is empty
     */
    public static Step write(Phase phase, long address, byte[] bytes) {
        Objects.requireNonNull(phase, "phase");
        if (Objects.requireNonNull(bytes, "bytes").length == 0) {
            throw new IllegalArgumentException("address=0x" + Long.toHexString(address) + ": a write of no bytes");
        }
        return new Step(phase, address, bytes.clone());
    }

    /**
     * {@return a sync that ends {@code phase}}
     *
     * @param phase the phase whose writes every CPU must see before the next begins
     */
    public static Step sync(Phase phase) {
        return new Step(Objects.requireNonNull(phase, "phase"), 0, NONE);
    }

    /** {@return whether this is a sync rather than a write} */
    public boolean isSync() {
        return bytes.length == 0;
    }

    /** {@return the phase} */
    public Phase phase() {
        return phase;
    }

    /** {@return the first address written; 0 for a sync} */
    public long address() {
        return address;
    }

    /** {@return a copy of the bytes written; empty for a sync} */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** {@return the number of bytes written; 0 for a sync} */
    public int length() {
        return bytes.length;
    }

    /** Hands the write or sync to {@code host}. */
    void runOn(LiveHost host) {
        if (isSync()) {
            host.sync();
        } else {
            host.write(address, bytes.clone());
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Step s && s.phase == phase && s.address == address && Arrays.equals(s.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(phase, address, Arrays.hashCode(bytes));
    }

    /** {@return {@code sync(TAIL)} or {@code write(INT3 0xc1000010 cc)}} */
    @Override
    public String toString() {
        if (isSync()) {
            return "sync(" + phase + ")";
        }
        StringBuilder sb = new StringBuilder("write(").append(phase).append(" 0x").append(Long.toHexString(address));
        for (byte b : bytes) {
            sb.append(' ').append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return sb.append(')').toString();
    }
}
