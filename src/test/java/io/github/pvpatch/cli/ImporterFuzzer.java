package io.github.pvpatch.cli;

import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.linux.ElfFile;
import io.github.pvpatch.linux.ImageFormatException;
import io.github.pvpatch.linux.KernelImage;
import io.github.pvpatch.linux.KernelPayload;
import io.github.pvpatch.linux.ParaInstructions;
import io.github.pvpatch.linux.Prelink;
import io.github.pvpatch.testing.Images;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Mutates small kernel images, modules and bzImages and runs the importer on each: the library's
 * public API ({@link KernelImage}, {@link KernelPayload}, {@link ElfFile}), then the command's
 * {@code sites} and {@code prelink} in-process. An input may succeed or be refused with an
 * {@link ImageFormatException} (a {@link PatchBug} from the prelink, exit status 1 from the
 * command); anything else thrown, a run over the time bound, or an input that allocates more
 * than the memory bound is unexpected.
 *
 * <p>Mutations know the ELF and bzImage layouts: bit flips, byte stores, truncations, spliced
 * ranges, and fields of the ELF header, section headers, symbols, relocations,
 * {@code .parainstructions} records, the bzImage setup header and the compressed payload set to
 * boundary values (0, -1, the file's length and one past it, sign bits, huge counts). Each input
 * is reproducible from the run's seed and its index.
 */
final class ImporterFuzzer {
    /** What one input is run through; a test may swap in a broken parser to prove the fuzzer bites. */
    interface Target {
        /**
         * Runs the importer on {@code input}.
         *
         * @param input the mutated file
         * @throws Exception anything unexpected (an expected refusal is caught inside)
         */
        void run(byte[] input) throws Exception;
    }

    /** One field of a structure in a seed: where, how wide. */
    record Field(String what, int offset, int width) {
    }

    /** A seed image and the fields its mutations aim at. */
    record Seed(String name, byte[] bytes, List<Field> fields, boolean bzImage, int payloadStart, int payloadEnd,
            byte[] innerElf, String compression) {
    }

    /** The outcome of a run. */
    record Result(int inputs, int unexpected, int accepted, int refused, long nanos, long cpuNanos,
            long slowestNanos, long mostAllocated, List<String> failures) {
    }

    private static final long[] INTERESTING = {0, 1, 2, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
        0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFFL, 0xFFFFFFF0L, 0x100000000L, Long.MAX_VALUE, Long.MIN_VALUE, -1L, -2L,
        -8L, -16L, 0x40000000L, 1L << 40, 0xFFFFFFFF80000000L};

    private final List<Seed> seeds;
    private final long seed;
    private final long timeBoundMillis;
    private final long memoryBound;

    ImporterFuzzer(List<Seed> seeds, long seed, long timeBoundMillis, long memoryBound) {
        this.seeds = List.copyOf(seeds);
        this.seed = seed;
        this.timeBoundMillis = timeBoundMillis;
        this.memoryBound = memoryBound;
    }

    // ---- seeds

    /** {@return a seed for an ELF file, with its header, section, symbol, relocation and record fields} */
    static Seed elfSeed(String name, byte[] bytes) {
        return new Seed(name, bytes, elfFields(bytes, 0), false, 0, 0, bytes, "");
    }

    /** {@return a seed for a bzImage around {@code elf}, compressed as named (gzip, lz4, xz)} */
    static Seed bzSeed(String name, byte[] elf, String compression) {
        byte[] payload = compress(elf, compression);
        byte[] bz = Images.bzImage(payload);
        int start = 2 * 512 + 0x40;
        List<Field> fields = new ArrayList<>();
        fields.add(new Field("bz.setup_sects", 0x1F1, 1));
        fields.add(new Field("bz.payload_offset", 0x248, 4));
        fields.add(new Field("bz.payload_length", 0x24C, 4));
        fields.add(new Field("bz.magic", 0x202, 4));
        if (compression.equals("lz4")) {
            // Block sizes: the first word after the magic and each block's own.
            int at = start + 4;
            while (at + 4 <= start + payload.length) {
                long size = (payload[at - start] & 0xFFL) | (payload[at - start + 1] & 0xFFL) << 8
                        | (payload[at - start + 2] & 0xFFL) << 16 | (payload[at - start + 3] & 0xFFL) << 24;
                fields.add(new Field("lz4.block_size", at, 4));
                fields.add(new Field("lz4.token", at + 4, 1));
                if (size > payload.length) {
                    break;
                }
                at += 4 + (int) size;
            }
        } else if (compression.equals("zstd")) {
            // Frame header descriptor and window descriptor, then the first block header.
            fields.add(new Field("zstd.frame_header", start + 4, 1));
            fields.add(new Field("zstd.window", start + 5, 1));
            fields.add(new Field("zstd.block_header", start + 6, 3));
        } else if (compression.equals("gzip")) {
            fields.add(new Field("gzip.flags", start + 3, 1));
            fields.add(new Field("gzip.trailer_size", start + payload.length - 4, 4));
        } else {
            fields.add(new Field("xz.stream_flags", start + 6, 2));
            fields.add(new Field("xz.block_header", start + 12, 4));
            // Block header: size, flags, then the filters: x86 BCJ (04 00), LZMA2 (21 01 <dict>).
            fields.add(new Field("xz.dict", start + 12 + 6, 1));
            fields.add(new Field("xz.dict", start + 12 + 6, 1));
        }
        return new Seed(name, bz, fields, true, start, start + payload.length, elf, compression);
    }

    static byte[] compress(byte[] elf, String compression) {
        switch (compression) {
            case "gzip":
                return Images.gzip(elf);
            case "lz4":
                return Images.lz4Legacy(elf);
            case "xz":
                return Images.xz(elf);
            case "zstd":
                return com.github.luben.zstd.Zstd.compress(elf, 19);
            default:
                throw new IllegalArgumentException(compression);
        }
    }

    /** The fields of the ELF header, every section header, symbol, relocation and record of {@code elf}. */
    static List<Field> elfFields(byte[] bytes, int base) {
        ElfFile elf = ElfFile.parse(bytes);
        boolean is64 = elf.is64();
        List<Field> f = new ArrayList<>();
        int[][] ehdr = is64 ? new int[][] {{4, 1}, {5, 1}, {16, 2}, {18, 2}, {32, 8}, {40, 8}, {58, 2}, {60, 2}, {62, 2}}
                : new int[][] {{4, 1}, {5, 1}, {16, 2}, {18, 2}, {28, 4}, {32, 4}, {46, 2}, {48, 2}, {50, 2}};
        for (int[] e : ehdr) {
            f.add(new Field("ehdr@" + e[0], base + e[0], e[1]));
        }
        long shoff = elf.readFileValue(is64 ? 40 : 32, is64 ? 8 : 4);
        int shentsize = (int) elf.readFileValue(is64 ? 58 : 46, 2);
        int[][] shdr = is64 ? new int[][] {{0, 4}, {4, 4}, {8, 8}, {16, 8}, {24, 8}, {32, 8}, {40, 4}, {44, 4}, {56, 8}}
                : new int[][] {{0, 4}, {4, 4}, {8, 4}, {12, 4}, {16, 4}, {20, 4}, {24, 4}, {28, 4}, {36, 4}};
        String[] shdrNames = {"name", "type", "flags", "addr", "offset", "size", "link", "info", "entsize"};
        for (ElfFile.Section s : elf.sections()) {
            int h = (int) (shoff + (long) s.index() * shentsize);
            for (int i = 0; i < shdr.length; i++) {
                f.add(new Field("shdr[" + s.name() + "]." + shdrNames[i], base + h + shdr[i][0], shdr[i][1]));
            }
            if (s.type() == ElfFile.SHT_SYMTAB) {
                int entry = is64 ? 24 : 16;
                int[][] sym = is64 ? new int[][] {{0, 4}, {4, 1}, {6, 2}, {8, 8}, {16, 8}}
                        : new int[][] {{0, 4}, {4, 4}, {8, 4}, {12, 1}, {14, 2}};
                for (long at = s.offset(); at + entry <= s.offset() + s.size(); at += entry) {
                    for (int[] x : sym) {
                        f.add(new Field("sym@" + x[0], base + (int) at + x[0], x[1]));
                    }
                }
            }
            if (s.type() == ElfFile.SHT_RELA || s.type() == ElfFile.SHT_REL) {
                boolean rela = s.type() == ElfFile.SHT_RELA;
                int w = is64 ? 8 : 4;
                int entry = (rela ? 3 : 2) * w;
                for (long at = s.offset(); at + entry <= s.offset() + s.size(); at += entry) {
                    f.add(new Field("rel.offset", base + (int) at, w));
                    f.add(new Field("rel.info", base + (int) at + w, w));
                    f.add(new Field("rel.sym", base + (int) at + w + (is64 ? 4 : 1), is64 ? 4 : 3));
                    if (rela) {
                        f.add(new Field("rel.addend", base + (int) at + 2 * w, w));
                    }
                }
            }
            if (s.name().equals(ParaInstructions.SECTION)) {
                int size = s.size() % 16 == 0 && is64 ? 16 : s.size() % 8 == 0 && !is64 ? 8 : 6;
                for (long at = s.offset(); at + size <= s.offset() + s.size(); at += size) {
                    int w = size == 6 ? 4 : size == 16 ? 8 : 4;
                    f.add(new Field("para.site", base + (int) at, w));
                    f.add(new Field("para.type", base + (int) at + w, 1));
                    f.add(new Field("para.len", base + (int) at + w + 1, 1));
                    if (size != 6) {
                        f.add(new Field("para.clobbers", base + (int) at + w + 2, 2));
                    }
                }
            }
        }
        return f;
    }

    // ---- mutation

    /** {@return input {@code index} of the run, and what was done to it} */
    byte[] input(int index, StringBuilder log) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + index);
        Seed s = seeds.get(r.nextInt(seeds.size()));
        log.append(s.name());
        byte[] b = s.bytes().clone();
        if (s.bzImage() && r.nextInt(4) == 0) {
            // A well-formed payload around a corrupt ELF: the decompressors pass it on intact.
            byte[] inner = s.innerElf().clone();
            List<Field> fields = elfFields(inner, 0);
            int n = 1 + r.nextInt(3);
            for (int i = 0; i < n; i++) {
                inner = mutate(inner, fields, r, log, 0, inner.length);
            }
            log.append(" recompressed ").append(s.compression());
            return Images.bzImage(compress(inner, s.compression()));
        }
        int n = 1 + (r.nextInt(3) == 0 ? r.nextInt(6) : 0);
        for (int i = 0; i < n; i++) {
            b = mutate(b, s.fields(), r, log, s.bzImage() ? s.payloadStart() : 0, s.bzImage() ? s.payloadEnd() : b.length);
        }
        return b;
    }

    private static byte[] mutate(byte[] b, List<Field> fields, SplittableRandom r, StringBuilder log, int from,
            int payloadEnd) {
        if (b.length == 0) {
            return b;
        }
        int to = Math.min(payloadEnd, b.length);   // an earlier truncation may have cut the payload
        int choice = r.nextInt(100);
        if (choice < 45 && !fields.isEmpty()) {
            Field f = fields.get(r.nextInt(fields.size()));
            if (f.offset() + f.width() > b.length) {
                return b;
            }
            long old = read(b, f.offset(), f.width());
            long v;
            switch (r.nextInt(f.what().equals("xz.dict") ? 6 : 5)) {
                case 5:
                    v = 30 + r.nextInt(12);   // an LZMA2 dictionary of 64 MiB to 4 GiB
                    break;
                case 0:
                    v = old + r.nextInt(-16, 17);
                    break;
                case 1:
                    v = b.length + r.nextInt(-8, 9);
                    break;
                case 2:
                    v = old ^ (1L << r.nextInt(f.width() * 8));
                    break;
                default:
                    v = INTERESTING[r.nextInt(INTERESTING.length)];
                    break;
            }
            write(b, f.offset(), f.width(), v);
            log.append(String.format(" %s@0x%x=0x%x", f.what(), f.offset(), v & (f.width() == 8 ? -1L
                    : (1L << (8 * f.width())) - 1)));
            return b;
        }
        if (choice < 70) {
            int flips = 1 + r.nextInt(8);
            boolean inPayload = to > from && r.nextBoolean();
            for (int i = 0; i < flips; i++) {
                int at = inPayload ? from + r.nextInt(to - from) : r.nextInt(b.length);
                b[at] ^= (byte) (1 << r.nextInt(8));
            }
            log.append(" flips=").append(flips).append(inPayload ? "(payload)" : "");
            return b;
        }
        if (choice < 80) {
            int at = r.nextInt(b.length);
            int v = (int) INTERESTING[r.nextInt(6)];
            int n = 1 + r.nextInt(16);
            for (int i = at; i < Math.min(b.length, at + n); i++) {
                b[i] = (byte) v;
            }
            log.append(String.format(" fill@0x%x+%d=0x%x", at, n, v & 0xFF));
            return b;
        }
        if (choice < 92) {
            int len = r.nextBoolean() ? r.nextInt(b.length) : Math.max(0, b.length - 1 - r.nextInt(Math.min(b.length,
                    64)));
            if (to > from && r.nextInt(3) == 0) {
                len = from + r.nextInt(to - from);   // inside the compressed payload
            }
            log.append(" truncate=").append(len);
            return java.util.Arrays.copyOf(b, len);
        }
        int src = r.nextInt(b.length);
        int dst = r.nextInt(b.length);
        int n = Math.min(1 + r.nextInt(64), Math.min(b.length - src, b.length - dst));
        System.arraycopy(b, src, b, dst, n);
        log.append(String.format(" splice 0x%x->0x%x+%d", src, dst, n));
        return b;
    }

    static long read(byte[] b, int at, int width) {
        long v = 0;
        for (int i = width - 1; i >= 0; i--) {
            v = v << 8 | (b[at + i] & 0xFF);
        }
        return v;
    }

    static void write(byte[] b, int at, int width, long v) {
        for (int i = 0; i < width; i++) {
            b[at + i] = (byte) (v >>> (8 * i));
        }
    }

    // ---- running

    /** {@return the outcome of {@code inputs} inputs through {@code target}} */
    Result run(int inputs, Target target) {
        return run(0, inputs, target);
    }

    /**
     * {@return the outcome of inputs {@code from} (inclusive) to {@code to} (exclusive) through
     * {@code target}} One input of a failed run is replayed with {@code run(i, i + 1, ...)}.
     */
    Result run(int from, int to, Target target) {
        int inputs = to - from;
        List<String> failures = new ArrayList<>();
        int unexpected = 0;
        long slowest = 0;
        long most = 0;
        long cpu = 0;
        long t0 = System.nanoTime();
        ExecutorService worker = newWorker();
        try {
            for (int i = from; i < to; i++) {
                StringBuilder log = new StringBuilder();
                byte[] in = input(i, log);
                long[] allocated = new long[2];
                long start = System.nanoTime();
                Future<?> f = worker.submit(() -> {
                    long before = Allocation.current();
                    long cpuBefore = Allocation.cpu();
                    try {
                        target.run(in);
                    } finally {
                        allocated[0] = Allocation.current() - before;
                        allocated[1] = Allocation.cpu() - cpuBefore;
                    }
                    return null;
                });
                String problem = null;
                try {
                    f.get(timeBoundMillis, TimeUnit.MILLISECONDS);
                } catch (TimeoutException e) {
                    f.cancel(true);
                    worker.shutdownNow();
                    worker = newWorker();
                    problem = "took more than " + timeBoundMillis + " ms";
                } catch (ExecutionException e) {
                    problem = describe(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                long took = System.nanoTime() - start;
                slowest = Math.max(slowest, took);
                most = Math.max(most, allocated[0]);
                cpu += allocated[1];
                if (problem == null && allocated[0] > memoryBound) {
                    problem = "allocated " + (allocated[0] >> 20) + " MB, over the bound of " + (memoryBound >> 20)
                            + " MB";
                }
                if (problem != null) {
                    unexpected++;
                    if (failures.size() < 20) {
                        failures.add("input " + i + " (seed " + seed + ", " + log + "): " + problem);
                        save(i, in);
                    }
                }
            }
        } finally {
            worker.shutdownNow();
        }
        int accepted = Outcomes.ACCEPTED.getAndSet(0);
        int refused = Outcomes.REFUSED.getAndSet(0);
        return new Result(inputs, unexpected, accepted, refused, System.nanoTime() - t0, cpu, slowest, most,
                failures);
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "importer-fuzz");
            t.setDaemon(true);
            return t;
        });
    }

    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder(t.toString());
        StackTraceElement[] st = t.getStackTrace();
        for (int i = 0; i < Math.min(6, st.length); i++) {
            sb.append("\n      at ").append(st[i]);
        }
        return sb.toString();
    }

    private void save(int index, byte[] in) {
        try {
            Path d = Files.createDirectories(Path.of("target/fuzz-failures"));
            Files.write(d.resolve("input-" + seed + "-" + index), in);
        } catch (IOException e) {
            // Reproducible from the seed and index anyway.
        }
    }

    /** How many inputs the real target accepted and refused, counted by the target. */
    static final class Outcomes {
        static final java.util.concurrent.atomic.AtomicInteger ACCEPTED = new java.util.concurrent.atomic.AtomicInteger();
        static final java.util.concurrent.atomic.AtomicInteger REFUSED = new java.util.concurrent.atomic.AtomicInteger();

        private Outcomes() {
        }
    }

    /**
     * Bytes the current thread has allocated, from {@code com.sun.management.ThreadMXBean}
     * (reached reflectively: the module under test does not read {@code jdk.management}).
     */
    static final class Allocation {
        private static final java.lang.invoke.MethodHandle ALLOCATED = find("com.sun.management.ThreadMXBean",
                "getCurrentThreadAllocatedBytes");
        private static final java.lang.invoke.MethodHandle CPU = find("java.lang.management.ThreadMXBean",
                "getCurrentThreadCpuTime");

        private Allocation() {
        }

        private static java.lang.invoke.MethodHandle find(String type, String method) {
            try {
                Object bean = Class.forName("java.lang.management.ManagementFactory").getMethod("getThreadMXBean")
                        .invoke(null);
                java.lang.reflect.Method m = Class.forName(type).getMethod(method);
                return java.lang.invoke.MethodHandles.publicLookup().unreflect(m).bindTo(bean);
            } catch (ReflectiveOperationException | RuntimeException e) {
                return null;
            }
        }

        /** {@return the current thread's CPU time in nanoseconds, or 0 where it is not measured} */
        static long cpu() {
            if (CPU == null) {
                return 0;
            }
            try {
                return (long) CPU.invoke();
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        /** {@return whether allocation is measured here} */
        static boolean measured() {
            return ALLOCATED != null;
        }

        static long current() {
            if (ALLOCATED == null) {
                return 0;
            }
            try {
                return (long) ALLOCATED.invoke();
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    // ---- the real target: the library's API, then the command in-process

    /**
     * The importer as users reach it: {@link KernelPayload} and {@link KernelImage} (every
     * accessor, then a prelink), then {@code pvpatch sites} and {@code pvpatch prelink} on the
     * same bytes in a file. Refusals are counted; anything else propagates.
     */
    static final class Importer implements Target {
        private final Path dir;
        private final Path file;
        private final Path output;
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private final Main main;
        private int count;

        Importer(Path dir) {
            this.dir = dir;
            this.file = dir.resolve("input");
            this.output = dir.resolve("output");
            // The importer is fuzzed, not the disk: skip forcing each output to the device.
            OutputFile.Disk noForce = new OutputFile.Disk() {
                @Override
                public void force(FileChannel channel) {
                }

                @Override
                public void forceDirectory(Path d) {
                }
            };
            PrintStream discard = new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8);
            this.main = new Main(discard, new PrintStream(err, true, StandardCharsets.UTF_8), noForce);
        }

        /**
         * Makes the next input count as input {@code n} (which commands and options it gets
         * depends on it), to replay one input of a run.
         *
         * @param n the input's index in its run
         */
        void startAt(int n) {
            count = n;
        }

        /** Nanoseconds spent in: the library, writing the file, sites, prelink, diff. */
        final long[] nanos = new long[5];

        @Override
        public void run(byte[] input) throws Exception {
            int n = count++;
            long t = System.nanoTime();
            boolean ok = library(input, n);
            nanos[0] += System.nanoTime() - t;
            t = System.nanoTime();
            (ok ? Outcomes.ACCEPTED : Outcomes.REFUSED).incrementAndGet();
            try {
                Files.write(file, input);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            nanos[1] += System.nanoTime() - t;
            t = System.nanoTime();
            command(ok, "sites", file.toString());
            nanos[2] += System.nanoTime() - t;
            t = System.nanoTime();
            String[] prelink = n % 8 == 0 ? new String[] {"prelink", file.toString(), "-o", output.toString(), "--verify"}
                    : n % 8 == 2 ? new String[] {"prelink", file.toString(), "-o", output.toString(), "--lenient"}
                    : new String[] {"prelink", file.toString(), "-o", output.toString()};
            // A refused image is refused by prelink as by sites: run it on half the read ones, a sample of the rest.
            int status = ok && n % 2 == 0 || n % 32 == 1 ? command(ok, prelink) : 1;
            nanos[3] += System.nanoTime() - t;
            t = System.nanoTime();
            if (status == 0 && n % 16 == 0) {
                int d = main.run(new String[] {"diff", file.toString(), output.toString()});
                if (d != 0 && d != 1) {
                    throw new AssertionError("diff of an input and its prelinked output: status " + d + ", " + err);
                }
            }
            nanos[4] += System.nanoTime() - t;
            if (Files.exists(output) && n % 64 == 0) {
                Files.delete(output);
            }
            try (var s = Files.list(dir)) {
                if (s.count() > 2) {
                    throw new AssertionError("a temporary file was left behind in " + dir);
                }
            }
        }

        /** {@return whether the library accepted the input (a refusal is fine, anything else throws)} */
        private static boolean library(byte[] input, int n) {
            try {
                byte[] elfBytes = input;
                if (KernelPayload.isBzImage(input)) {
                    elfBytes = KernelPayload.extract(input);
                }
                elfView(elfBytes);
                KernelImage k;
                try {
                    k = KernelImage.read(input);
                } catch (ImageFormatException e) {
                    checkMessage(e);
                    return false;
                }
                k.elf();
                for (int i = 0; i < k.sites().size(); i++) {
                    k.sectionOf(i);
                    k.formOf(k.sites().get(i));
                }
                k.sitesBySection();
                k.pvOps();
                boolean slotOutcomes = k.paravirtSites(io.github.pvpatch.linux.CpuFeatures.defaults()).stream()
                        .anyMatch(p -> p.outcome() == io.github.pvpatch.linux.ParavirtSite.Outcome.SLOT);
                k.toString();
                try {
                    // Slots are classified on demand; `sites` asks only when some site's outcome is its
                    // slot, so only then does a refusal here make the image unreadable to it.
                    k.slots();
                    k.nativeOps();
                } catch (ImageFormatException e) {
                    checkMessage(e);
                    if (slotOutcomes && !k.elf().isRelocatable()) {
                        return false;
                    }
                }
                if (n % 8 != 3) {
                    return true;   // the command prelinks half the images read; the API's own prelink, a sample
                }
                try {
                    k.prelink(Prelink.Options.defaults().withVerify(n % 16 == 3)
                            .withMode(n % 3 == 0 ? PatchOptions.Mode.LENIENT : PatchOptions.Mode.STRICT));
                } catch (PatchBug e) {
                    return true;   // a site the prelink refuses: the image itself was read
                } catch (ImageFormatException e) {
                    checkMessage(e);   // a module, or a slot outside the image: read, not prelinked
                }
                return true;
            } catch (ImageFormatException e) {
                checkMessage(e);   // a payload that does not unpack
                return false;
            }
        }

        /** Every accessor of the raw ELF view; each may refuse on its own (symbols are read lazily). */
        private static void elfView(byte[] bytes) {
            ElfFile elf;
            try {
                elf = ElfFile.parse(bytes);
            } catch (ImageFormatException e) {
                checkMessage(e);
                return;
            }
            try {
                elf.symbols();
            } catch (ImageFormatException e) {
                checkMessage(e);
            }
            for (ElfFile.Section s : elf.sections()) {
                try {
                    elf.relocations(s);
                } catch (ImageFormatException e) {
                    checkMessage(e);
                }
                elf.sectionAt(s.address(), 1);
                if (s.hasBytes()) {
                    elf.bytes(s);
                }
            }
        }

        private static void checkMessage(ImageFormatException e) {
            if (e.getMessage() == null || e.getMessage().isEmpty()) {
                throw new AssertionError("an ImageFormatException without a message", e);
            }
        }

        private int command(boolean libraryAccepted, String... args) {
            err.reset();
            int status = main.run(args);
            String e = err.toString(StandardCharsets.UTF_8);
            if (status != 0 && status != 1) {
                throw new AssertionError("pvpatch " + args[0] + ": status " + status + ": " + e);
            }
            if (status == 1 && (e.lines().count() != 1 || !e.startsWith("pvpatch: ") || e.contains("Exception")
                    || e.contains("out of memory"))) {
                throw new AssertionError("pvpatch " + args[0] + ": not one plain line: " + e);
            }
            if (args[0].equals("sites") && (status == 0) != libraryAccepted) {
                throw new AssertionError("pvpatch sites: status " + status + " where the library "
                        + (libraryAccepted ? "accepted" : "refused") + " the input: " + e);
            }
            return status;
        }
    }
}
