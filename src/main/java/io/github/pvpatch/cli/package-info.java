/**
 * The {@code pvpatch} command: {@code demo}, {@code sites}, {@code prelink} and {@code diff} on
 * kernel images. Not exported: it is an application on top of the API, run with
 * {@code java -jar pvpatch-cli.jar}.
 */
package io.github.pvpatch.cli;
