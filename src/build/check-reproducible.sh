#!/usr/bin/env bash
# Reproducible build check: copies the sources (git's tracked and untracked-but-not-ignored files)
# into two directories with different paths, builds each from clean with the same JDK, and
# requires every jar (main, sources, javadoc, cli; shims and all) to be byte-identical. Prints
# the jars' sha256. Run by .ci/run; by hand:
#
#   bash src/build/check-reproducible.sh            # offline (-o) when ~/.m2 has everything
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d /tmp/pvpatch-repro.XXXXXX)
trap 'rm -rf "$work"' EXIT
one=$work/one/pvpatch
two=$work/second-build/a/longer/path/pvpatch-copy
mvn_opts=(-B -q -DskipTests -Djacoco.skip=true ${PVPATCH_REPRO_MVN_OPTS:-})
for dir in "$one" "$two"; do
    mkdir -p "$dir"
    (cd "$root" && git ls-files -z --cached --others --exclude-standard | xargs -0 cp --parents -t "$dir" 2>/dev/null) || {
        # A file listed but deleted in the working tree: copy what exists.
        (cd "$root" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
            [ -e "$f" ] && cp --parents "$f" "$dir"; done)
    }
    start=$(date +%s)
    (cd "$dir" && mvn "${mvn_opts[@]}" package > "$work/build-$(basename "$dir").log" 2>&1) || {
        tail -40 "$work/build-$(basename "$dir").log" >&2
        echo "check-reproducible: FAIL the build in $dir failed" >&2; exit 1; }
    echo "check-reproducible: built in $dir ($(( $(date +%s) - start )) s)"
done
status=0
count=0
for jar in "$one"/target/*.jar; do
    name=${jar##*/}
    other=$two/target/$name
    count=$((count + 1))
    if ! cmp -s "$jar" "$other"; then
        echo "check-reproducible: FAIL $name differs between the two builds:" >&2
        diff <(cd "$one/target" && unzip -lv "$name" | awk '{print $7, $8}') \
             <(cd "$two/target" && unzip -lv "$name" | awk '{print $7, $8}') >&2 || true
        [ -f "$other" ] || echo "  (missing in the second build)" >&2
        status=1
    else
        echo "check-reproducible: identical $(sha256sum "$jar" | cut -c1-64)  $name"
    fi
done
[ "$count" -ge 4 ] || { echo "check-reproducible: FAIL only $count jars built (main, sources, javadoc, cli expected)" >&2; exit 1; }
for dir in "$one" "$two"; do
    for f in "$dir"/target/classes/META-INF/native/*/*pvpatch_zydis*; do
        echo "check-reproducible: shim ${f#"$dir"/target/classes/} $(wc -c < "$f") bytes $(sha256sum "$f" | cut -c1-16)"
    done
    break
done
exit $status
