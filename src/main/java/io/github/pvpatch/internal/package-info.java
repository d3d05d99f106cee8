/** Implementation of the built-in patchers. Not exported; not API. */
package io.github.pvpatch.internal;
