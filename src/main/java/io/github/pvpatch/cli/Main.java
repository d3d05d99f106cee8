package io.github.pvpatch.cli;

import io.github.pvpatch.PatchBug;
import io.github.pvpatch.PatchOptions;
import io.github.pvpatch.PatchPlan;
import io.github.pvpatch.PatchSite;
import io.github.pvpatch.SiteOutcome;
import io.github.pvpatch.Strategy;
import io.github.pvpatch.linux.AltEntry;
import io.github.pvpatch.linux.AltInstructions;
import io.github.pvpatch.linux.CpuFeatures;
import io.github.pvpatch.linux.ElfFile;
import io.github.pvpatch.linux.ImageFormatException;
import io.github.pvpatch.linux.KernelImage;
import io.github.pvpatch.linux.KernelPayload;
import io.github.pvpatch.linux.ParaLayout;
import io.github.pvpatch.linux.ParavirtSite;
import io.github.pvpatch.linux.Prelink;
import io.github.pvpatch.linux.SlotTarget;
import io.github.pvpatch.zydis.MachineMode;
import io.github.pvpatch.zydis.Syntax;
import io.github.pvpatch.zydis.Zydis;
import io.github.pvpatch.zydis.ZydisDecoder;
import io.github.pvpatch.zydis.ZydisUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * {@code pvpatch} — patch paravirt call sites of kernel images, offline.
 *
 * <pre>
 * pvpatch demo                        patch the bundled sample images, show before/after
 * pvpatch sites &lt;image&gt;               list the .parainstructions sites and what each slot holds
 * pvpatch prelink &lt;image&gt; -o &lt;out&gt;    patch every site for the ops the image holds at boot
 * pvpatch diff &lt;before&gt; &lt;after&gt;       the sites that differ, with disassembly
 * pvpatch help [&lt;command&gt;] | --help | --version
 * </pre>
 *
 * <p>Images are vmlinux or module ELF files, or vmlinuz bzImages (unpacked first; prelink then
 * writes the prelinked vmlinux). Exit status: 0 success, 1 bad input or a refused patch (one
 * line on standard error, naming the file), 2 bad usage (the usage text); {@code diff} follows
 * diff(1): 0 the images' sites are equal, 1 they differ, 2 trouble. Output is written to a
 * temporary file in the output's directory, forced to disk and renamed over the output: a
 * failed run leaves what was there before, byte for byte.
 */
public final class Main {
    /** Exit status: success; for {@code diff}, the sites are the same. */
    static final int OK = 0;
    /** Exit status: bad input or a refused patch; for {@code diff}, the sites differ. */
    static final int REFUSED = 1;
    /** Exit status: bad usage; for {@code diff}, any trouble. */
    static final int USAGE = 2;

    /**
     * One option. Adding an option is one entry in {@link #OPTIONS} (the help text and the
     * parser follow) and its use in the command.
     *
     * @param name the long name, such as {@code --verify}
     * @param alias a short name, or empty
     * @param value the value's placeholder, or empty for a flag
     * @param commands the commands that take it
     * @param text what it does, for {@code --help}
     */
    record Option(String name, String alias, String value, List<String> commands, String text) {
        boolean takes(String command) {
            return commands.contains(command);
        }

        String label() {
            return (alias.isEmpty() ? "" : alias + ", ") + name + (value.isEmpty() ? "" : " " + value);
        }
    }

    /**
     * One command.
     *
     * @param name its name
     * @param arguments its synopsis after the name
     * @param text what it does
     */
    record Command(String name, String arguments, String text) {
    }

    static final List<Command> COMMANDS = List.of(
            new Command("demo", "", "patch the bundled sample images, show before/after"),
            new Command("sites", "<image>", "list paravirt sites, native replacements and slot contents"),
            new Command("prelink", "<image> -o <out>", "patch every site for the ops the image holds at boot"),
            new Command("diff", "<before> <after>", "the sites that differ, with disassembly"),
            new Command("help", "[<command>]", "this text, or one command's"));

    static final List<Option> OPTIONS = List.of(
            new Option("--output", "-o", "<out>", List.of("prelink"), "write the prelinked vmlinux ELF to <out>"
                    + " (a bzImage in gives a vmlinux out). It goes to a temporary file in <out>'s directory, forced"
                    + " to disk, then renamed over <out>: a failed run leaves <out> as it was. <out> is checked"
                    + " before any work and may not be the input, by path or through a link, unless --in-place"),
            new Option("--in-place", "", "", List.of("prelink"), "replace the input itself, atomically as -o"
                    + " does; -o may then be omitted or name the input. Refused for a bzImage, which would become"
                    + " a vmlinux"),
            new Option("--verify", "", "", List.of("prelink"), "check every site with the Zydis disassembler before"
                    + " patching (its bytes are the indirect call through its slot, nothing else) and after (the"
                    + " new code keeps every register the site keeps, and ends where the site ends). Without it,"
                    + " each site's bytes are still matched against the indirect call its record implies"),
            new Option("--lenient", "", "", List.of("prelink"), "leave a site that cannot be patched as it is and"
                    + " list it as left unpatched. Without it (strict), the first such site refuses the whole"
                    + " image, exit status 1, and nothing is written"),
            new Option("--layout", "", "<L>", List.of("sites", "prelink"), "read the .parainstructions records"
                    + " in layout L instead of detecting it: ABSOLUTE_32 (i386, 8 bytes), ABSOLUTE_64 (x86-64,"
                    + " 16 bytes) or RELATIVE_6 (Linux 6.5+, 6 bytes, no clobbers: CLBR_ANY)"),
            new Option("--cpu-features", "", "<LIST>", List.of("sites", "prelink"), "the CPU feature bits of the"
                    + " machine the kernel will boot on, comma-separated names (XENPV, PVUNLOCK, VCPUPREEMPT, ALWAYS)"
                    + " or numbers in the kernel's numbering (word*32+bit); they decide which native replacement"
                    + " .altinstructions puts at each paravirt site, as the kernel's boot would. Default: none of the"
                    + " paravirt bits (bare metal, or an emulator without PV features); a KVM guest with PV"
                    + " spinlocks and steal time: PVUNLOCK,VCPUPREEMPT"),
            new Option("--pv-ops", "", "<ADDR>", List.of("sites", "prelink"), "the address of pv_ops (hex), when"
                    + " neither the symbol table, the kernel's export table (__ksymtab) nor the sites' own calls give"
                    + " it"),
            new Option("--verbose", "", "", List.of("sites", "prelink", "diff"), "announce each stage on standard"
                    + " output as it starts: reading an input (its size), prelinking (its sites). Standard error"
                    + " stays for the error alone: a failed run prints exactly one line there, with or without"
                    + " --verbose"),
            new Option("--help", "-h", "", List.of("demo", "sites", "prelink", "diff", "help"),
                    "show the command's help and exit; after a command, whatever else the line holds (so it"
                    + " can end a half-written command line)"),
            new Option("--version", "", "", List.of(), "print pvpatch's version and the Zydis version of its"
                    + " disassembler shim"));

    private static final int WIDTH = 100;
    /** Bytes of an input enough for {@link KernelPayload#isBzImage}: the setup header ends before 0x300. */
    private static final int BZIMAGE_HEADER = 0x400;

    private final PrintStream out;
    private final PrintStream err;
    private final OutputFile.Disk disk;
    /** {@code --verbose}: stages are announced on {@link #out}, never on {@link #err}. */
    private boolean verbose;

    Main(PrintStream out, PrintStream err) {
        this(out, err, OutputFile.Disk.REAL);
    }

    Main(PrintStream out, PrintStream err, OutputFile.Disk disk) {
        this.out = out;
        this.err = err;
        this.disk = disk;
    }

    /**
     * Runs the command and exits with its status.
     *
     * @param args the command line
     */
    public static void main(String[] args) {
        System.exit(new Main(System.out, System.err).run(args));
    }

    /**
     * {@return the exit status: 0, 1 for bad input or a refused patch, 2 for bad usage; for
     * {@code diff}, 0 same, 1 different, 2 trouble}
     */
    int run(String[] args) {
        boolean diff = args.length > 0 && args[0].equals("diff");
        try {
            if (args.length == 0) {
                throw new Usage("no command");
            }
            if (args[0].equals("-h") || args[0].equals("--help") || args[0].equals("--version")) {
                if (args.length > 1) {
                    throw new Usage("unexpected argument '" + args[1] + "': " + args[0] + " takes none"
                            + (args[0].equals("--version") ? "" : " (one command's help: pvpatch help <command>)"));
                }
                if (args[0].equals("--version")) {
                    version();
                } else {
                    out.print(help());
                }
                return OK;
            }
            Args a = new Args(args);
            if (a.flag("--help")) {
                out.print(help(a.command));
                return OK;
            }
            verbose = a.flag("--verbose");
            switch (a.command) {
                case "help":
                    if (a.positionalCount() > 1) {
                        throw new Usage("unexpected argument '" + a.positional.get(1) + "': help takes at most one"
                                + " <command>");
                    }
                    out.print(a.positionalCount() == 0 ? help() : help(a.positional.get(0)));
                    return OK;
                case "demo":
                    a.positional(0);
                    demo();
                    return OK;
                case "sites":
                    a.positional(1);
                    KernelImage.ReadOptions readOptions = a.readOptions();
                    CpuFeatures features = a.features();
                    sites(a.input(0, "input"), readOptions, features);
                    return OK;
                case "prelink":
                    prelink(a);
                    return OK;
                case "diff":
                    a.positional(2);
                    return diff(a.input(0, "before"), a.input(1, "after")) ? OK : REFUSED;
                default:
                    throw new Usage("unknown command '" + a.command + "'");
            }
        } catch (Usage e) {
            err.println("pvpatch: " + e.getMessage());
            err.print(usage());
            return USAGE;
        } catch (ImageFormatException | PatchBug | ZydisUnavailableException | OutputFile.Refused e) {
            err.println("pvpatch: " + e.getMessage());
            return diff ? USAGE : REFUSED;
        } catch (IOException e) {
            err.println("pvpatch: " + OutputFile.reason(e) + (e instanceof java.nio.file.FileSystemException
                    && ((java.nio.file.FileSystemException) e).getFile() != null
                    ? ": " + ((java.nio.file.FileSystemException) e).getFile() : ""));
            return diff ? USAGE : REFUSED;
        } catch (OutOfMemoryError e) {
            err.println("pvpatch: out of memory reading the image; give the JVM more with -Xmx");
            return diff ? USAGE : REFUSED;
        }
    }

    /** {@return the short usage, for usage errors} */
    static String usage() {
        StringBuilder sb = new StringBuilder();
        for (Command c : COMMANDS) {
            sb.append(sb.length() == 0 ? "usage: pvpatch " : "       pvpatch ").append(c.name())
                    .append(c.arguments().isEmpty() ? "" : " " + c.arguments()).append(options(c.name()))
                    .append('\n');
        }
        sb.append("       pvpatch --version\n");
        sb.append("'pvpatch --help' explains every option; 'pvpatch help <command>' one command\n");
        return sb.toString();
    }

    /** {@return the full help: every command and option, and the exit statuses} */
    static String help() {
        StringBuilder sb = new StringBuilder();
        sb.append("pvpatch: patch the paravirt call sites of Linux kernel images, offline\n\n");
        sb.append("commands:\n");
        for (Command c : COMMANDS) {
            String synopsis = "pvpatch " + c.name() + (c.arguments().isEmpty() ? "" : " " + c.arguments());
            sb.append(String.format("  %-34s %s\n", synopsis, c.text()));
        }
        sb.append(String.format("  %-34s %s\n", "pvpatch --version", "print the versions"));
        sb.append("\noptions:\n");
        for (Option o : OPTIONS) {
            appendOption(sb, o);
        }
        sb.append(TRAILER);
        return sb.toString();
    }

    /** {@return one command's help, or a usage error if there is no such command} */
    static String help(String command) {
        Command c = COMMANDS.stream().filter(x -> x.name().equals(command)).findFirst()
                .orElseThrow(() -> new Usage("no command '" + command + "' to explain"));
        StringBuilder sb = new StringBuilder();
        sb.append("usage: pvpatch ").append(c.name()).append(c.arguments().isEmpty() ? "" : " " + c.arguments())
                .append(options(c.name())).append("\n");
        sb.append(wrap(c.text(), "  ")).append('\n');
        boolean any = false;
        for (Option o : OPTIONS) {
            if (o.takes(command)) {
                if (!any) {
                    sb.append("\noptions:\n");
                    any = true;
                }
                appendOption(sb, o);
            }
        }
        sb.append(TRAILER);
        return sb.toString();
    }

    private static final String TRAILER = "\nimages: vmlinux or module (.ko) ELF files, modules compressed whole (.ko.gz,"
            + " .ko.xz, .ko.zst),\n  or vmlinuz bzImages (gzip, LZ4, XZ or zstd payloads)\n"
            + "exit status: 0 success; 1 bad input or a refused patch, one line on standard error naming the file;\n"
            + "  2 bad usage. diff follows diff(1): 0 the sites are the same, 1 they differ, 2 trouble\n";

    /** {@return the options a command takes, for its synopsis, such as {@code  [--verify]}} */
    private static String options(String command) {
        StringBuilder sb = new StringBuilder();
        for (Option o : OPTIONS) {
            if (o.takes(command) && !o.name().equals("--help") && !o.name().equals("--output")) {
                sb.append(" [").append(o.name()).append(o.value().isEmpty() ? "" : " " + o.value()).append(']');
            }
        }
        return sb.toString();
    }

    private static void appendOption(StringBuilder sb, Option o) {
        String where = o.commands().isEmpty() ? "" : o.commands().size() >= COMMANDS.size() ? ""
                : " (" + String.join(", ", o.commands()) + ")";
        sb.append("  ").append(o.label()).append(where).append('\n').append(wrap(o.text(), "      ")).append('\n');
    }

    /** {@return {@code text} wrapped to the help's width, each line indented} */
    private static String wrap(String text, String indent) {
        StringBuilder sb = new StringBuilder();
        StringBuilder line = new StringBuilder(indent);
        for (String word : text.split(" ")) {
            if (line.length() > indent.length() && line.length() + 1 + word.length() > WIDTH) {
                sb.append(line).append('\n');
                line = new StringBuilder(indent);
            }
            line.append(line.length() > indent.length() ? " " : "").append(word);
        }
        return sb.append(line).toString();
    }

    private void version() {
        out.println("pvpatch " + libraryVersion());
        if (Zydis.isAvailable()) {
            out.println("Zydis " + Zydis.version() + " (the disassembler shim)");
        } else {
            out.println("Zydis: unavailable here ("
                    + Zydis.unavailability().map(Throwable::getMessage).orElse("unknown reason") + ")");
        }
    }

    /** {@return the library's version, from the resource the build writes (in classes and in the jars)} */
    static String libraryVersion() {
        try (InputStream in = Main.class.getResourceAsStream("/META-INF/pvpatch/version.properties")) {
            if (in == null) {
                return "(unknown: no META-INF/pvpatch/version.properties)";
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version", "(unknown)");
        } catch (IOException e) {
            return "(unknown: " + e.getMessage() + ")";
        }
    }

    private void demo() throws IOException {
        out.println("pvpatch demo: two sample images, assembled by the build from src/main/asm/pvsample.S, each with");
        out.println("pv call sites recorded in .parainstructions and a pv_ops table holding native implementations.");
        out.println("Every site is patched for what its slot holds, checked with the disassembler before and after.");
        for (String arch : List.of("x86_64", "i386")) {
            String resource = "/META-INF/pvpatch/demo/pvsample-" + arch;
            byte[] image;
            try (InputStream in = Main.class.getResourceAsStream(resource)) {
                if (in == null) {
                    throw new ImageFormatException("the sample image " + resource + " is not in this jar");
                }
                image = in.readAllBytes();
            }
            KernelImage k = KernelImage.read(image);
            out.println();
            out.printf("== pvsample-%s: %s, %d sites, pv_ops at 0x%x (%s)%n", arch, k.isa().displayName(),
                    k.sites().size(), k.pvOps().getAsLong(), k.pvOpsSource());
            printSlots(k);
            Prelink.Result r = k.prelink(Prelink.Options.defaults().withVerify(true));
            out.println();
            listing(k, r);
            out.printf("%n%d sites, %d verified: %s%n", r.sites(), r.verified(),
                    counts(r.countByStrategy(), r.problems().size()));
        }
    }

    private void sites(Path file, KernelImage.ReadOptions options, CpuFeatures features) throws IOException {
        KernelImage k = read(file, "input", options);
        ElfFile elf = k.elf();
        List<ParavirtSite> all = k.paravirtSites(features);
        out.printf("%s: %s %s, %s, %d sites; pv_ops %s; cpu features %s%n", file.getFileName(), k.isa().displayName(),
                elf.isRelocatable() ? "module" : k.wasUnpacked() ? "vmlinuz" : "vmlinux", k.tables(), all.size(),
                k.pvOps().isPresent() ? String.format("0x%x (%s)", k.pvOps().getAsLong(), k.pvOpsSource())
                        : "external (" + k.pvOpsSource() + ")", features);
        Map<Integer, SlotTarget> slots = new TreeMap<>();
        boolean classify = !elf.isRelocatable() && all.stream().anyMatch(s -> s.outcome() == ParavirtSite.Outcome.SLOT);
        if (classify) {
            k.slots().forEach(s -> slots.put(s.type(), s));
        }
        out.printf("%-18s %-12s %-5s %4s %3s %-24s %-6s %-16s %s%n", "address", "section", "table", "slot", "len",
                "clobbers", "call", "outcome", "candidates (* = chosen) / slot holds");
        Map<ParavirtSite.Source, Integer> bySource = new EnumMap<>(ParavirtSite.Source.class);
        Map<ParavirtSite.Outcome, Integer> byOutcome = new EnumMap<>(ParavirtSite.Outcome.class);
        for (int i = 0; i < all.size(); i++) {
            ParavirtSite p = all.get(i);
            bySource.merge(p.source(), 1, Integer::sum);
            byOutcome.merge(p.outcome(), 1, Integer::sum);
            PatchSite s = i < k.sites().size() ? k.sites().get(i) : null;
            List<String> cands = new ArrayList<>();
            for (AltEntry c : p.candidates()) {
                byte[] repl = elf.read(elf.sections().get(c.replacementSection()), c.replacementOffset(),
                        c.replacementLength());
                cands.add((p.chosen().isPresent() && p.chosen().get().equals(c) ? "*" : "") + c.condition() + " ["
                        + hex(repl) + "]");
            }
            String slot;
            if (elf.isRelocatable()) {
                slot = s != null && k.records().get(i).relocatedSlot().isPresent() ? "pv_ops["
                        + k.records().get(i).relocatedSlot().getAsInt() + "] (relocation)" : "(no pv_ops relocation)";
            } else if (p.outcome() == ParavirtSite.Outcome.SLOT) {
                SlotTarget t = slots.get(p.slot().getAsInt());
                slot = t == null ? "(empty slot)" : t.kind().name().toLowerCase(Locale.ROOT) + ": " + t.description();
            } else {
                slot = "";
            }
            String detail = String.join(", ", cands) + (slot.isEmpty() || cands.isEmpty() ? "" : "; ") + slot;
            out.printf("0x%-16x %-12s %-5s %4s %3d %-24s %-6s %-16s %s%n", p.address(), p.section(),
                    p.source() == ParavirtSite.Source.PARAINSTRUCTIONS ? "para" : "alt",
                    p.slot().isPresent() ? Integer.toString(p.slot().getAsInt()) : "?", p.length(),
                    s == null ? "-" : s.clobbers().toString(k.isa()),
                    s == null || s.callOffset().isEmpty() ? "none" : "+" + s.callOffset().getAsInt(),
                    p.outcome().name().toLowerCase(Locale.ROOT), detail.isEmpty() ? "-" : detail);
        }
        out.printf("sites by table: %s%nsites by outcome on %s: %s%n", bySource, features, byOutcome);
    }

    private void prelink(Args a) throws IOException {
        a.positional(1);
        Path file = Path.of(a.positional.get(0));
        KernelImage.ReadOptions readOptions = a.readOptions();
        CpuFeatures features = a.features();
        boolean inPlace = a.flag("--in-place");
        Path output;
        if (a.value("--output").isPresent()) {
            output = Path.of(a.value("--output").get());
            if (inPlace && !OutputFile.sameFile(output, file)) {
                throw new Usage("--in-place replaces the input; -o " + output + " names another file");
            }
        } else if (inPlace) {
            output = file;
        } else {
            throw new Usage("prelink needs -o <out> (or --in-place)");
        }
        checkInput(file, "input");
        if (inPlace) {
            // Refused from the header, before reading and unpacking the whole image.
            String packed = packedAs(file);
            if (packed != null) {
                throw new OutputFile.Refused("input=" + file + " is " + packed + ": --in-place would replace it"
                        + " with the unpacked ELF; write that with -o <out> instead");
            }
        }
        try (OutputFile target = OutputFile.prepare(output, file, inPlace, disk)) {
            prelink(file, target, a.flag("--verify"), a.flag("--lenient"), readOptions, features);
        }
    }

    private void prelink(Path file, OutputFile target, boolean verify, boolean lenient,
            KernelImage.ReadOptions readOptions, CpuFeatures features) throws IOException {
        Path output = target.path();
        long t0 = System.nanoTime();
        KernelImage k = read(file, "input", readOptions);
        if (verbose) {
            out.printf("pvpatch: prelinking %d sites in %d sections%s…%n", k.sites().size(), k.sitesBySection().size(),
                    verify ? ", verifying each with Zydis" : "");
        }
        Prelink.Options options = Prelink.Options.defaults().withVerify(verify)
                .withMode(lenient ? PatchOptions.Mode.LENIENT : PatchOptions.Mode.STRICT).withFeatures(features);
        Prelink.Result r;
        try {
            r = k.prelink(options);
        } catch (ImageFormatException e) {
            throw new ImageFormatException("input=" + file + ": " + e.getMessage(), e);
        }
        target.commit(r.image());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        out.printf("%s: %s, %s, %d sites, pv_ops at 0x%x (%s)%n", file.getFileName(), k.isa().displayName(),
                k.tables(), k.sites().size(), k.pvOps().getAsLong(), k.pvOpsSource());
        out.printf("sites by outcome on cpu features %s: %s%n", features, r.outcomes());
        printSlots(k);
        out.println("sites per strategy, per section:");
        for (Map.Entry<String, PatchPlan> e : r.plans().entrySet()) {
            out.printf("  %-14s %5d  %s%n", e.getKey(), e.getValue().size(),
                    counts(e.getValue().countByStrategy(), e.getValue().problems().size()));
        }
        if (!r.replacementPlans().isEmpty()) {
            out.printf("  %-14s %5d  %s%n", "replacements", r.replacementPlans().stream().mapToInt(PatchPlan::size).sum(),
                    "the native replacement .altinstructions attaches, as the kernel applies it");
        }
        out.printf("  %-14s %5d  %s%n", "total", r.sites(), counts(r.countByStrategy(), r.problems().size()));
        out.printf("bytes changed outside the sites: %d%s%n", r.edits().size(), r.edits().isEmpty() ? ""
                : " (one bit per prelinked direct-call entry of .altinstructions, so the boot leaves the site alone;"
                        + " `pvpatch diff` lists them)");
        for (PatchBug bug : r.problems()) {
            out.println("  left unpatched: " + bug.getMessage());
        }
        out.printf("verified: %s%n", verify ? r.verified() + " of " + r.sites() + " sites, before and after, with Zydis"
                : "no (add --verify)");
        out.printf("wrote %s (%d bytes%s) in %d ms%n", output, r.imageLength(),
                k.wasUnpacked() ? ", the prelinked ELF unpacked from the input" : "", ms);
    }

    /** {@return whether every site's bytes, and every byte outside the sites, are the same in both} */
    private boolean diff(Path before, Path after) throws IOException {
        // Either may be pvpatch's output, whose pv_ops no site's call points at any more: an image
        // that cannot find its own pv_ops takes the other image's.
        // Each file is read once; a retry parses the same bytes again.
        byte[] beforeBytes = load(before, "before");
        byte[] afterBytes = load(after, "after");
        KernelImage a = parseOrNull(beforeBytes, KernelImage.ReadOptions.defaults());
        KernelImage b = parseOrNull(afterBytes, KernelImage.ReadOptions.defaults());
        if (a == null && b != null && b.pvOps().isPresent()) {
            a = parse(beforeBytes, before, "before", KernelImage.ReadOptions.defaults().withPvOps(
                    b.pvOps().getAsLong()));
        } else if (b == null && a != null && a.pvOps().isPresent()) {
            b = parse(afterBytes, after, "after", KernelImage.ReadOptions.defaults().withPvOps(a.pvOps().getAsLong()));
        }
        if (a == null) {
            a = parse(beforeBytes, before, "before", KernelImage.ReadOptions.defaults());   // throws its error
        }
        if (b == null) {
            b = parse(afterBytes, after, "after", KernelImage.ReadOptions.defaults());
        }
        if (a.isa() != b.isa()) {
            throw new ImageFormatException("after=" + after + " is " + b.isa().displayName() + ", before="
                    + before + " is " + a.isa().displayName());
        }
        // Either may be pvpatch's output: take the sites from both, by address.
        Map<Long, ParavirtSite> sites = new TreeMap<>(Long::compareUnsigned);
        for (KernelImage k : List.of(b, a)) {
            for (ParavirtSite p : k.paravirtSites(CpuFeatures.defaults())) {
                sites.merge(p.address(), p, (x, y) -> y.slot().isPresent() ? y : x);
            }
        }
        ZydisDecoder d = decoder(a);
        int changed = 0;
        for (ParavirtSite s : sites.values()) {
            byte[] x = a.elf().read(s.address(), s.length());
            byte[] y = b.elf().read(s.address(), s.length());
            if (java.util.Arrays.equals(x, y)) {
                continue;
            }
            changed++;
            out.printf("site 0x%x %s slot %s len %d%n", s.address(), s.section(),
                    s.slot().isPresent() ? Integer.toString(s.slot().getAsInt()) : "?", s.length());
            bytesLine("  - ", x, disassemble(d, x, s.address()));
            bytesLine("  + ", y, disassemble(d, y, s.address()));
        }
        out.printf("%d of %d sites differ%n", changed, sites.size());
        // Bytes outside every site: a prelink of a 6.8+ image changes one per direct-call entry.
        byte[] x = a.elfBytesCopy();
        byte[] y = b.elfBytesCopy();
        boolean[] inSite = new boolean[Math.max(x.length, y.length)];
        for (ParavirtSite s : sites.values()) {
            a.elf().sectionAt(s.address(), s.length()).ifPresent(sec -> {
                int from = (int) (sec.offset() + s.address() - sec.address());
                java.util.Arrays.fill(inSite, from, Math.min(inSite.length, from + s.length()), true);
            });
        }
        int outside = 0;
        Optional<AltInstructions> alt = a.altInstructions();
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            if (x[i] == y[i] || inSite[i]) {
                continue;
            }
            outside++;
            String where = "";
            for (ElfFile.Section sec : a.elf().sections()) {
                if (sec.hasBytes() && i >= sec.offset() && i < sec.offset() + sec.size()) {
                    where = sec.name() + "+0x" + Long.toHexString(i - sec.offset());
                    if (alt.isPresent() && sec.index() == alt.get().section().index()) {
                        where += " (entry " + (i - sec.offset()) / alt.get().layout().entrySize() + ")";
                    }
                    break;
                }
            }
            out.printf("byte at file offset 0x%x %s: %02x -> %02x%n", i, where, x[i] & 0xFF, y[i] & 0xFF);
        }
        if (x.length != y.length) {
            out.printf("sizes differ: %d and %d bytes%n", x.length, y.length);
        }
        out.printf("%d bytes differ outside the sites%n", outside);
        return changed == 0 && outside == 0 && x.length == y.length;
    }


    private void printSlots(KernelImage k) {
        Map<SlotTarget.Kind, Integer> kinds = new TreeMap<>();
        Map<SlotTarget.Evidence, Integer> evidence = new java.util.EnumMap<>(SlotTarget.Evidence.class);
        for (SlotTarget.Evidence e : SlotTarget.Evidence.values()) {
            evidence.put(e, 0);
        }
        for (SlotTarget s : k.slots()) {
            kinds.merge(s.kind(), 1, Integer::sum);
            evidence.merge(s.evidence(), 1, Integer::sum);
        }
        out.printf("slots: %s%n  clobbers read from the code: %d; the C ABI's (a plain function): %d;"
                + " assumed callee-save by the kernel's contract: %d%n", kinds,
                evidence.get(SlotTarget.Evidence.READ_FROM_CODE), evidence.get(SlotTarget.Evidence.C_ABI),
                evidence.get(SlotTarget.Evidence.KERNEL_CONTRACT));
        if (k.slots().size() <= 16) {
            for (SlotTarget s : k.slots()) {
                out.printf("  pv_ops[%2d] -> 0x%x  %-17s %s%n", s.type(), s.address(), s.kind(), s.description());
            }
        }
    }

    private void listing(KernelImage k, Prelink.Result r) {
        ZydisDecoder d = decoder(k);
        Map<Integer, SlotTarget> slots = new TreeMap<>();
        k.slots().forEach(s -> slots.put(s.type(), s));
        for (PatchPlan plan : r.allPlans()) {
            for (int i = 0; i < plan.size(); i++) {
                PatchSite s = plan.sites().get(i);
                SiteOutcome outcome = plan.outcome(i);   // the strategy's name, or "left unpatched (RULE)"
                out.printf("0x%x  type %d (%s)  %s%n", s.address(), s.type(), slots.get(s.type()).kind()
                        .name().toLowerCase(Locale.ROOT), outcome);
                bytesLine("    before ", plan.originalBytes(i), disassemble(d, plan.originalBytes(i), s.address()));
                bytesLine("    after  ", plan.patchedBytes(i), disassemble(d, plan.patchedBytes(i), s.address()));
            }
        }
    }

    /**
     * The sites per strategy, then how many were left unpatched when some were:
     * {@code {INLINE_NATIVE=6, DIRECT_CALL=2}, 1 left unpatched}.
     */
    private static String counts(Map<Strategy, Integer> byStrategy, int leftUnpatched) {
        return byStrategy + (leftUnpatched == 0 ? "" : ", " + leftUnpatched + " left unpatched");
    }

    /** Bytes then disassembly; long sites (2.6.21-style saves) get the disassembly on a line of its own. */
    private void bytesLine(String prefix, byte[] code, String text) {
        String h = hex(code);
        if (h.length() <= 33) {
            out.printf("%s%-33s %s%n", prefix, h, text);
        } else {
            out.printf("%s%s%n%s%33s %s%n", prefix, h, " ".repeat(prefix.length()), "", text);
        }
    }

    private static ZydisDecoder decoder(KernelImage k) {
        return ZydisDecoder.of(MachineMode.of(k.isa()));
    }

    private static String disassemble(ZydisDecoder d, byte[] code, long address) {
        List<String> parts = new ArrayList<>();
        int at = 0;
        while (at < code.length) {
            int start = at;
            Optional<io.github.pvpatch.zydis.Instruction> insn = d.decode(code, at, code.length - at, address + at);
            if (insn.isEmpty()) {
                parts.add("(bad)");
                break;
            }
            parts.add(d.format(code, start, insn.get().length(), address + start, Syntax.ATT).orElse("?"));
            at += insn.get().length();
        }
        return String.join("; ", parts);
    }

    private static String hex(byte[] b) {
        return HexFormat.ofDelimiter(" ").formatHex(b);
    }

    private KernelImage read(Path file, String role, KernelImage.ReadOptions options) throws IOException {
        return parse(load(file, role), file, role, options);
    }

    /** {@return the bytes of an input, announced under {@code --verbose}} */
    private byte[] load(Path file, String role) throws IOException {
        checkInput(file, role);
        if (verbose) {
            // On standard output: standard error is for the one line of a failure.
            long size = Files.size(file);
            out.printf("pvpatch: reading %s (%s)…%n", file.getFileName(), size >= 1 << 20 ? (size >> 20) + " MB"
                    : size + " bytes");
        }
        return readInput(file, role);
    }

    private static KernelImage parse(byte[] bytes, Path file, String role, KernelImage.ReadOptions options) {
        try {
            return KernelImage.read(bytes, options);
        } catch (ImageFormatException e) {
            throw new ImageFormatException(role + "=" + file + ": " + e.getMessage(), e);
        }
    }

    /** {@return the image, or null when it is not readable as given (the caller may retry with pv_ops)} */
    private static KernelImage parseOrNull(byte[] bytes, KernelImage.ReadOptions options) {
        try {
            return KernelImage.read(bytes, options);
        } catch (ImageFormatException e) {
            return null;
        }
    }

    /** Refuses a missing, unreadable or directory input, naming it. */
    static void checkInput(Path file, String role) {
        if (Files.isDirectory(file)) {
            throw new OutputFile.Refused(role + "=" + file + " is a directory, not an image");
        }
        if (!Files.exists(file)) {
            throw new OutputFile.Refused(role + "=" + file + ": no such file");
        }
        if (!Files.isReadable(file)) {
            throw new OutputFile.Refused(role + "=" + file + " is not readable");
        }
    }

    /**
     * {@return what packs the file, "a bzImage" or "compressed", or null for a plain file} Read
     * from its first sectors only, with the tests {@link KernelImage#read} makes on the whole file.
     */
    static String packedAs(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(BZIMAGE_HEADER);
            return KernelPayload.isBzImage(head) ? "a bzImage" : KernelPayload.isCompressed(head) ? "compressed"
                    : null;
        } catch (IOException e) {
            throw new OutputFile.Refused("input=" + file + ": cannot read it (" + OutputFile.reason(e) + ")", e);
        }
    }

    /** {@return the bytes of an input file; a missing, unreadable or directory input is named} */
    static byte[] readInput(Path file, String role) {
        checkInput(file, role);
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new OutputFile.Refused(role + "=" + file + ": cannot read it (" + OutputFile.reason(e) + ")", e);
        } catch (OutOfMemoryError e) {
            throw new OutputFile.Refused(role + "=" + file + " is too large to read here; give the JVM more"
                    + " with -Xmx", e);
        }
    }

    /** A usage error: exit status 2 with the usage text. */
    private static final class Usage extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Usage(String message) {
            super(message);
        }
    }

    /** The arguments after the command: positional ones and options, as {@link #OPTIONS} lists them. */
    private static final class Args {
        private final String command;
        private final List<String> positional = new ArrayList<>();
        private final Map<String, String> values = new TreeMap<>();

        Args(String[] args) {
            command = args[0];
            for (int i = 1; i < args.length; i++) {
                String a = args[i];
                if (a.startsWith("-") && a.length() > 1) {
                    Option o = OPTIONS.stream().filter(x -> x.name().equals(a) || x.alias().equals(a)).findFirst()
                            .orElseThrow(() -> new Usage("unknown option '" + a + "'"));
                    if (!o.takes(command)) {
                        throw new Usage(COMMANDS.stream().anyMatch(c -> c.name().equals(command))
                                ? command + " does not take " + o.name() : "unknown command '" + command + "'");
                    }
                    if (o.value().isEmpty()) {
                        values.put(o.name(), "");
                    } else {
                        if (i + 1 >= args.length) {
                            throw new Usage(a + " needs a value " + o.value());
                        }
                        if (values.containsKey(o.name())) {
                            throw new Usage(o.name() + " given twice");
                        }
                        values.put(o.name(), args[++i]);
                    }
                } else {
                    positional.add(a);
                }
            }
        }

        int positionalCount() {
            return positional.size();
        }

        void positional(int count) {
            if (positional.size() != count) {
                throw new Usage(command + " takes " + count + " file argument" + (count == 1 ? "" : "s") + ", got "
                        + positional.size() + (positional.size() > count ? ": unexpected '" + positional.get(count)
                        + "'" : ""));
            }
        }

        /** An input file, checked: the role names it in errors ({@code input}, {@code before}, {@code after}). */
        Path input(int index, String role) {
            Path p = Path.of(positional.get(index));
            checkInput(p, role);
            return p;
        }

        boolean flag(String name) {
            return values.containsKey(name);
        }

        Optional<String> value(String name) {
            return Optional.ofNullable(values.get(name));
        }

        CpuFeatures features() {
            try {
                return value("--cpu-features").map(CpuFeatures::parse).orElse(CpuFeatures.defaults());
            } catch (IllegalArgumentException e) {
                throw new Usage(e.getMessage());
            }
        }

        KernelImage.ReadOptions readOptions() {
            KernelImage.ReadOptions o = layout().map(KernelImage.ReadOptions.defaults()::withLayout)
                    .orElse(KernelImage.ReadOptions.defaults());
            Optional<String> pvOps = value("--pv-ops");
            if (pvOps.isPresent()) {
                try {
                    o = o.withPvOps(Long.parseUnsignedLong(pvOps.get().replaceFirst("^0[xX]", ""), 16));
                } catch (NumberFormatException e) {
                    throw new Usage("--pv-ops '" + pvOps.get() + "' is not a hex address");
                }
            }
            return o;
        }

        Optional<ParaLayout> layout() {
            Optional<String> layout = value("--layout");
            if (layout.isEmpty()) {
                return Optional.empty();
            }
            try {
                return Optional.of(ParaLayout.valueOf(layout.get().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new Usage("unknown layout '" + layout.get() + "': ABSOLUTE_32, ABSOLUTE_64 or RELATIVE_6");
            }
        }
    }
}
