package io.github.pvpatch.zydis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Random bytes through every entry point, in both modes: no input may crash the JVM, single and
 * batch decode must agree, and every length must stay inside the bytes given. A crash here would
 * end the test JVM, which surefire reports as a failure.
 */
class ZydisFuzzTest {
    /** Inputs per CI run; {@code -Dpvpatch.zydis.fuzz=N} changes it. */
    private static final int INPUTS = Integer.getInteger("pvpatch.zydis.fuzz", 1_000_000);

    @Test
    void randomBytesNeverCrashAndSingleAndBatchDecodeAgree() throws Exception {
        long seed = Long.getLong("pvpatch.seed", System.nanoTime());
        int threads = 2;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<long[]>> parts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long partSeed = seed + t;
                int count = INPUTS / threads + (t == 0 ? INPUTS % threads : 0);
                parts.add(pool.submit(() -> fuzz(partSeed, count)));
            }
            long inputs = 0;
            long instructions = 0;
            for (Future<long[]> f : parts) {
                long[] r = f.get();
                inputs += r[0];
                instructions += r[1];
            }
            System.out.printf("zydis fuzz: %d inputs, 0 crashes (%d instructions, seed %d)%n", inputs, instructions,
                    seed);
            assertEquals(INPUTS, inputs);
        } finally {
            pool.shutdownNow();
        }
    }

    /** {@return inputs run and instructions decoded} */
    private static long[] fuzz(long seed, int count) {
        SplittableRandom rnd = new SplittableRandom(seed);
        ZydisDecoder[] decoders = {ZydisDecoder.of(MachineMode.X86_32), ZydisDecoder.of(MachineMode.X86_64)};
        DecodedBuffer batch = new DecodedBuffer();
        byte[] buf = new byte[96];
        long decoded = 0;
        for (int n = 0; n < count; n++) {
            ZydisDecoder d = decoders[rnd.nextInt(2)];
            // Bias towards bytes real code starts with (prefixes, 0f escapes, REX) half the time.
            for (int i = 0; i < buf.length; i++) {
                buf[i] = (byte) (rnd.nextInt(4) == 0 ? PREFIXES[rnd.nextInt(PREFIXES.length)] : rnd.nextInt(256));
            }
            int offset = rnd.nextInt(buf.length + 1);
            int length = rnd.nextInt(buf.length - offset + 1);
            long address = rnd.nextLong();
            String where = "seed=" + seed + " input=" + n + " offset=" + offset + " length=" + length;
            if (n % 64 == 0) {
                d.format(buf, offset, length, address, (n & 64) == 0 ? Syntax.INTEL : Syntax.ATT);
            }
            java.util.Optional<Instruction> one = d.decode(buf, offset, length, address);
            d.decodeAll(buf, offset, length, address, batch);
            int sum = 0;
            for (int i = 0; i < batch.count(); i++) {
                assertEquals(sum, batch.offset(i), where);
                assertTrue(batch.length(i) >= 1 && batch.length(i) <= 15, where);
                sum += batch.length(i);
            }
            assertEquals(length, sum, where + ": the sweep covers exactly the bytes given");
            decoded += batch.count();
            if (length > 0) {
                assertEquals(one.isPresent(), batch.isValid(0), where);
                if (one.isPresent()) {
                    Instruction insn = one.get();
                    assertTrue(insn.length() <= length, where);
                    assertEquals(insn.length(), batch.length(0), where);
                    assertEquals(insn.mnemonicId(), batch.mnemonicId(0), where);
                    assertEquals(insn.registersWritten(), batch.registersWritten(0), where);
                    assertEquals(insn.branchTarget().orElse(0), batch.branchTarget(0), where);
                }
            }
        }
        return new long[] {count, decoded};
    }

    private static final int[] PREFIXES = {0x0f, 0x66, 0x67, 0xf2, 0xf3, 0x2e, 0x3e, 0xf0, 0x40, 0x41, 0x48, 0x4c,
        0xc4, 0xc5, 0x62, 0x8f, 0xff, 0xe8, 0x38, 0x3a};
}
