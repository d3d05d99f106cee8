package io.github.pvpatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The importer fuzzed on every build: {@code -Dpvpatch.fuzz.inputs=N} (100,000 by default)
 * mutated vmlinux, module and bzImage inputs, each through the library and the command; every one
 * must end in success or a refusal. Prints {@code importer fuzz: N inputs, 0 unexpected}.
 * {@code -Dpvpatch.fuzz.seed=S -Dpvpatch.fuzz.only=I} replays input {@code I} of seed {@code S}'s
 * run alone (as the run would have given it: same bytes, same commands).
 */
class ImporterFuzzTest {
    static final Path IMAGES = Path.of("target/test-images");
    static final int INPUTS = Integer.getInteger("pvpatch.fuzz.inputs", 100_000);
    /** The one input to replay, or -1 for the whole run. */
    static final int ONLY = Integer.getInteger("pvpatch.fuzz.only", -1);
    /** No input may take longer than this, parse and commands together. */
    static final long TIME_BOUND_MILLIS = 5_000;
    /**
     * Nor allocate more than this over its four or five parses (library, sites, prelink, diff):
     * the images are kilobytes; an XZ header may ask for a 64 MiB dictionary at most; a trusted
     * count or a bomb would be far more.
     */
    static final long MEMORY_BOUND = 400L << 20;

    @TempDir
    Path dir;

    /** The build's synthetic images: both ELF classes, all record layouts, modules, and each compression. */
    static List<ImporterFuzzer.Seed> seeds() throws IOException {
        List<ImporterFuzzer.Seed> seeds = new ArrayList<>();
        for (String name : List.of("pvsample-x86_64", "pvsample-x86_64-stripped", "pvsample-x86_64-relative",
                "pvsample-x86_64-module.o", "pvsample-i386", "pvsample-i386-stripped", "pvsample-i386-relative",
                "pvsample-i386-module.o")) {
            seeds.add(ImporterFuzzer.elfSeed(name, Files.readAllBytes(IMAGES.resolve(name))));
        }
        seeds.add(ImporterFuzzer.bzSeed("vmlinuz-gzip", Files.readAllBytes(IMAGES.resolve("pvsample-x86_64")), "gzip"));
        seeds.add(ImporterFuzzer.bzSeed("vmlinuz-lz4", Files.readAllBytes(IMAGES.resolve("pvsample-x86_64-stripped")),
                "lz4"));
        seeds.add(ImporterFuzzer.bzSeed("vmlinuz-xz", Files.readAllBytes(IMAGES.resolve("pvsample-i386-stripped")),
                "xz"));
        // .altinstructions in both layouts and both ISAs: 6.8+ direct-call sites, and 6.1-style
        // replacements attached to .parainstructions sites; one of them in a zstd bzImage.
        for (io.github.pvpatch.linux.AltImage.Sample a : io.github.pvpatch.linux.AltImage.samples()) {
            seeds.add(ImporterFuzzer.elfSeed(a.name(), a.bytes()));
        }
        seeds.add(ImporterFuzzer.bzSeed("vmlinuz-zstd-alt", io.github.pvpatch.linux.AltImage.sample(false), "zstd"));
        return seeds;
    }

    static long runSeed() {
        return Long.getLong("pvpatch.fuzz.seed", System.nanoTime());
    }

    @Test
    void everyMutatedImageIsReadOrRefusedNothingElse() throws IOException {
        long seed = runSeed();
        ImporterFuzzer fuzzer = new ImporterFuzzer(seeds(), seed, TIME_BOUND_MILLIS, MEMORY_BOUND);
        // Each input goes through a file, as users give it: in memory (/dev/shm) where there is one.
        Path shm = Path.of("/dev/shm");
        Path work = Files.isDirectory(shm) && Files.isWritable(shm) ? Files.createTempDirectory(shm, "pvpatch-fuzz")
                : dir;
        ImporterFuzzer.Importer importer = new ImporterFuzzer.Importer(work);
        ImporterFuzzer.Result r;
        try {
            if (ONLY >= 0) {
                importer.startAt(ONLY);
                r = fuzzer.run(ONLY, ONLY + 1, importer);
            } else {
                r = fuzzer.run(INPUTS, importer);
            }
        } finally {
            if (!work.equals(dir)) {
                try (var files = Files.list(work)) {
                    for (Path p : (Iterable<Path>) files::iterator) {
                        Files.delete(p);
                    }
                }
                Files.delete(work);
            }
        }
        System.out.printf("importer fuzz: %d inputs, %d unexpected (%d read, %d refused; %.1f s, %.1f s CPU in the"
                + " importer, slowest %d ms, most allocated %d MB; seed %d)%n", r.inputs(), r.unexpected(), r.accepted(),
                r.refused(), r.nanos() / 1e9, r.cpuNanos() / 1e9, r.slowestNanos() / 1_000_000,
                r.mostAllocated() >> 20, seed);
        System.out.printf("importer fuzz: ms in library %d, file %d, sites %d, prelink %d, diff %d%n",
                importer.nanos[0] / 1_000_000, importer.nanos[1] / 1_000_000, importer.nanos[2] / 1_000_000,
                importer.nanos[3] / 1_000_000, importer.nanos[4] / 1_000_000);
        assertEquals(0, r.unexpected(), String.join("\n", r.failures()));
        assertTrue(ImporterFuzzer.Allocation.measured() && r.mostAllocated() > 0, "the memory bound is checked");
        if (ONLY >= 0) {
            return;   // one input replayed: no shares to check
        }
        // The mutations must leave a fair share readable, or the deep paths go untested.
        assertTrue(r.accepted() > INPUTS / 10, "only " + r.accepted() + " inputs were read");
        assertTrue(r.refused() > INPUTS / 10, "only " + r.refused() + " inputs were refused");
    }
}
