package io.github.pvpatch.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * An output file written all at once or not at all. {@link #prepare} checks the target before any
 * work and creates a temporary file next to it (which proves the directory writable); {@link
 * #commit} writes the bytes to it, forces them to disk and renames it over the target in one
 * atomic step. Closing without a commit, or a commit that fails, deletes the temporary file: the
 * target is then exactly what it was, byte for byte, or still absent.
 *
 * <pre>{@code
 * try (OutputFile out = OutputFile.prepare(Path.of("vmlinux.pre"), input, false)) {
 *     byte[] image = ...;            // the work; an exception here leaves no trace
 *     out.commit(image);
 * }
 * }</pre>
 *
 * <p>An existing target that is a symbolic link is written through: the file it names is
 * replaced, and the link stays. A run interrupted by a signal (Ctrl-C, {@code kill}) deletes its
 * temporary file on the way out, through a shutdown hook. Not thread-safe: one thread prepares,
 * commits and closes.
 */
final class OutputFile implements AutoCloseable {
    /**
     * The steps that touch the disk, replaceable so tests can make each fail as a full or broken
     * disk would.
     */
    interface Disk {
        /** The real file system. */
        Disk REAL = new Disk() { };

        /**
         * Creates {@code temp}, which must not exist.
         *
         * @param temp the temporary file's path
         * @throws IOException if it cannot be created
         */
        default void create(Path temp) throws IOException {
            Files.createFile(temp);
        }

        /**
         * Writes all of {@code data} to {@code channel}.
         *
         * @param channel the temporary file, open for writing
         * @param data the bytes
         * @throws IOException if they cannot be written
         */
        default void write(FileChannel channel, ByteBuffer data) throws IOException {
            while (data.hasRemaining()) {
                channel.write(data);
            }
        }

        /**
         * Forces the written bytes to the storage device.
         *
         * @param channel the temporary file
         * @throws IOException if the device reports an error
         */
        default void force(FileChannel channel) throws IOException {
            channel.force(true);
        }

        /**
         * Forces the directory's entries (the rename) to the storage device; best effort.
         *
         * @param dir the output's directory
         */
        default void forceDirectory(Path dir) {
            try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
                channel.force(true);
            } catch (IOException e) {
                // Not every file system lets a directory be opened or forced; the rename is done.
            }
        }

        /**
         * Renames {@code temp} over {@code target} in one step.
         *
         * @param temp the written temporary file
         * @param target the output
         * @throws IOException if it cannot be renamed
         */
        default void move(Path temp, Path target) throws IOException {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The output cannot be written, or may not be: the message names the file. Exit status 1. */
    static final class Refused extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }

        Refused(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Temporary files not yet committed or closed: the shutdown hook deletes them. */
    private static final java.util.Set<Path> PENDING = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static final java.util.concurrent.atomic.AtomicBoolean HOOKED = new java.util.concurrent.atomic.AtomicBoolean();

    private final Path target;
    private final Path shown;
    private final Path temp;
    private final Disk disk;
    private boolean done;

    private OutputFile(Path target, Path shown, Path temp, Disk disk) {
        this.target = target;
        this.shown = shown;
        this.temp = temp;
        this.disk = disk;
    }

    /**
     * Checks {@code output} and creates its temporary file, before any work.
     *
     * @param output the path the user named
     * @param input the input file, which the output may not be unless {@code inPlace}
     * @param inPlace whether writing over the input was asked for
     * @return the prepared output; close it
     * @throws Refused if the output is a directory, its directory is missing or not writable, or
     *     it is the input without {@code inPlace}
     */
    static OutputFile prepare(Path output, Path input, boolean inPlace) {
        return prepare(output, input, inPlace, Disk.REAL);
    }

    /**
     * {@link #prepare(Path, Path, boolean)} for an output that comes from no input file.
     *
     * @param output the path the user named
     * @return the prepared output; close it
     * @throws Refused if the output is a directory, or its directory is missing or not writable
     */
    static OutputFile prepare(Path output) {
        return prepare(output, Disk.REAL);
    }

    /**
     * {@link #prepare(Path, Path, boolean)} on a given disk.
     *
     * @param output the path the user named
     * @param input the input file
     * @param inPlace whether writing over the input was asked for
     * @param disk the file system's steps
     * @return the prepared output
     */
    static OutputFile prepare(Path output, Path input, boolean inPlace, Disk disk) {
        return prepareFor(output, Objects.requireNonNull(input, "input"), inPlace, disk);
    }

    /**
     * {@link #prepare(Path)} on a given disk.
     *
     * @param output the path the user named
     * @param disk the file system's steps
     * @return the prepared output
     */
    static OutputFile prepare(Path output, Disk disk) {
        return prepareFor(output, null, false, disk);
    }

    /** The checks and the temporary file; {@code input} is null when the output has none. */
    private static OutputFile prepareFor(Path output, Path input, boolean inPlace, Disk disk) {
        Objects.requireNonNull(output, "output");
        Path target = output;
        if (Files.isDirectory(output)) {
            throw new Refused("output=" + output + " is a directory; name a file in it");
        }
        if (Files.exists(output)) {
            try {
                // Write through a symbolic link: the file it names changes, the link stays.
                target = output.toRealPath();
            } catch (IOException e) {
                throw new Refused("output=" + output + " cannot be resolved: " + reason(e), e);
            }
            if (input != null && sameFile(output, input) && !inPlace) {
                throw new Refused("output=" + output + " is the input " + input
                        + " (the same file, by path or through a link): refusing to overwrite it; add --in-place"
                        + " to replace it, atomically");
            }
            if (!Files.isRegularFile(target)) {
                throw new Refused("output=" + output + " is not a regular file");
            }
            if (!Files.isWritable(target)) {
                throw new Refused("output=" + output + " is not writable");
            }
        } else if (Files.isSymbolicLink(output)) {
            throw new Refused("output=" + output + " is a symbolic link to a missing file");
        }
        Path dir = target.toAbsolutePath().getParent();
        if (dir == null || !Files.exists(dir)) {
            throw new Refused("output=" + output + ": its directory " + dir + " does not exist");
        }
        if (!Files.isDirectory(dir)) {
            throw new Refused("output=" + output + ": " + dir + " is not a directory");
        }
        if (!Files.isWritable(dir)) {
            throw new Refused("output=" + output + ": its directory " + dir + " is not writable");
        }
        if (HOOKED.compareAndSet(false, true)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> PENDING.forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // Exiting anyway.
                }
            }), "pvpatch-output-cleanup"));
        }
        Path temp = null;
        for (int attempt = 0; temp == null; attempt++) {
            Path candidate = dir.resolve("." + target.getFileName() + ".pvpatch-"
                    + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 1) + ".tmp");
            try {
                PENDING.add(candidate);
                disk.create(candidate);
                temp = candidate;
            } catch (FileAlreadyExistsException e) {
                PENDING.remove(candidate);   // someone else's
                if (attempt > 100) {
                    throw new Refused("output=" + output + ": cannot create a temporary file in " + dir, e);
                }
            } catch (IOException e) {
                PENDING.remove(candidate);
                throw new Refused("output=" + output + ": cannot create a file in its directory " + dir
                        + " (" + reason(e) + ")", e);
            }
        }
        return new OutputFile(target, output, temp, disk);
    }

    /**
     * {@return whether {@code a} and {@code b} are one file: the same path, a hard link, or a
     * symbolic link to it}
     *
     * @param a a path
     * @param b another path
     */
    static boolean sameFile(Path a, Path b) {
        try {
            return Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize());
        }
    }

    /** {@return the path the user named} */
    Path path() {
        return shown;
    }

    /** {@return the temporary file, which exists until {@link #commit} or {@link #close}} */
    Path temporary() {
        return temp;
    }

    /**
     * Writes {@code data} to the temporary file, forces it to disk and renames it over the
     * target. On failure the temporary file is deleted and the target is unchanged.
     *
     * @param data the whole new content
     * @throws Refused naming the output, if any step fails
     */
    void commit(byte[] data) {
        if (done) {
            throw new IllegalStateException("output=" + shown + " was already committed or closed");
        }
        done = true;
        try {
            copyPermissions();
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                disk.write(channel, ByteBuffer.wrap(data));
                disk.force(channel);
            }
            try {
                disk.move(temp, target);
                PENDING.remove(temp);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename a file over it atomically", e);
            }
        } catch (IOException e) {
            deleteTemp();
            throw new Refused("cannot write output=" + shown + ": " + reason(e) + "; it is unchanged", e);
        } catch (RuntimeException | Error e) {
            deleteTemp();
            throw e;
        }
        disk.forceDirectory(temp.getParent());
    }

    /** Deletes the temporary file unless it was committed. */
    @Override
    public void close() {
        if (!done) {
            done = true;
            deleteTemp();
        }
    }

    private void copyPermissions() throws IOException {
        if (Files.exists(target)) {
            PosixFileAttributeView from = Files.getFileAttributeView(target, PosixFileAttributeView.class);
            PosixFileAttributeView to = Files.getFileAttributeView(temp, PosixFileAttributeView.class,
                    LinkOption.NOFOLLOW_LINKS);
            if (from != null && to != null) {
                to.setPermissions(from.readAttributes().permissions());
            }
        }
    }

    private void deleteTemp() {
        try {
            Files.deleteIfExists(temp);
        } catch (IOException e) {
            // Nothing better to do: the target is unchanged either way.
        }
        PENDING.remove(temp);
    }

    /** {@return the system's reason, without the exception's class or a repeated path} */
    static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
            return ((FileSystemException) e).getReason();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
