package io.github.pvpatch.linux;

/**
 * The bytes are not the kernel image, object or payload they should be: not an ELF, a section
 * or table that runs past the end of the file, an unknown record layout, a compressed payload
 * that cannot be unpacked. The message says what was expected, where, and what was found, in
 * one line fit for a command's error output.
 */
public final class ImageFormatException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what is wrong, with offsets and sizes
     */
    public ImageFormatException(String message) {
        super(message);
    }

    /**
     * Creates the exception with a cause.
     *
     * @param message what is wrong
     * @param cause the underlying error
     */
    public ImageFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
