package io.github.pvpatch.live;

/**
 * What a live plan needs from the system it patches: a way to write bytes into the code other
 * CPUs run, and a way to make every CPU see them. The host implements it; {@link
 * LivePlan#execute(LiveHost)} calls it, in order, from one thread.
 *
 * <p>{@link #write} may store the bytes in any order and any width (the plan is correct even if
 * another CPU sees them one at a time). {@link #sync} must return only when every CPU that may run
 * the code has executed a serializing instruction after the writes before it: on Linux user space,
 * {@code membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE)}; in the kernel, an IPI to every
 * CPU that runs {@code sync_core()}; in an emulator, invalidating its translations of the
 * written range and making every vCPU leave the translated block it is in.
 *
 * <pre>{@code
 * LiveHost host = new LiveHost() {
 *     public void write(long address, byte[] bytes) {
 *         guestRam.put((int) (address - ramBase), bytes);
 *         translations.invalidate(address, bytes.length);     // no vCPU may run the old block again
 *     }
 *     public void sync() {
 *         vcpus.kickAllAndWait();                               // each leaves its block; then go on
 *     }
 * };
 * }</pre>
 */
public interface LiveHost {
    /**
     * Writes {@code bytes} at {@code address}.
     *
     * @param address the first address written
     * @param bytes the bytes; the host may keep the array
     */
    void write(long address, byte[] bytes);

    /** Returns when every CPU that may run the code has serialized after every earlier write. */
    void sync();
}
