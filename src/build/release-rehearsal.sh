#!/usr/bin/env bash
# Release rehearsal: generates a throwaway gpg key (batch, no passphrase, in a temporary
# GNUPGHOME), runs `mvn -Prelease deploy` into a temporary file repository, and checks what Maven
# Central requires: the POM's name, description, url, licenses, developers and scm; an .asc that
# gpg --verify accepts for every file; non-empty sources and javadoc jars; the cli jar and the
# SBOM. Tests are not rerun (the verify before it ran them). Run by .ci/run; by hand:
#
#   bash src/build/release-rehearsal.sh [staging-dir]     # PVPATCH_REHEARSAL_MVN_OPTS=-o offline
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/pvpatch-release.XXXXXX)
export GNUPGHOME=$tmp/gnupg
staging=${1:-$tmp/staging}
cleanup() {
    gpgconf --kill gpg-agent 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
mkdir -p "$GNUPGHOME" "$staging" && chmod 700 "$GNUPGHOME"

fail() { echo "release-rehearsal: FAIL $*" >&2; exit 1; }

start=$(date +%s)
gpg --batch --quiet --no-tty --passphrase '' --quick-generate-key 'pvpatch release rehearsal <rehearsal@pvpatch.invalid>' \
    ed25519 sign 1d 2> "$tmp/gpg.log" || { cat "$tmp/gpg.log" >&2; fail "gpg could not generate a key"; }
key=$(gpg --batch --list-keys --with-colons | awk -F: '/^fpr:/ {print $10; exit}')
echo "release-rehearsal: throwaway key $key"

(cd "$root" && mvn -B ${PVPATCH_REHEARSAL_MVN_OPTS:-} -Prelease deploy -DskipTests -Djacoco.skip=true \
    "-DaltDeploymentRepository=local::file:$staging" "-Dgpg.keyname=$key" > "$tmp/mvn.log" 2>&1) || {
    grep -E 'ERROR|FAIL' "$tmp/mvn.log" | head -40 >&2; fail "mvn -Prelease deploy failed"; }

dir=$(find "$staging" -name '*.pom' -printf '%h\n' | head -1)
[ -n "$dir" ] || fail "no POM staged under $staging"
echo "release-rehearsal: staged in ${dir#"$staging"/}:"
(cd "$dir" && ls -1 | grep -vE '^maven-metadata|\.(md5|sha1)$' | sed 's/^/  /')

one() { # the single staged file ending in $1
    local f
    f=$(find "$dir" -maxdepth 1 -name "*$1" | sort | tail -1)
    [ -n "$f" ] && [ -s "$f" ] || fail "missing or empty artifact *$1"
    echo "$f"
}
pom=$(one .pom)
main=$(one "[0-9].jar")
sources=$(one -sources.jar)
javadoc=$(one -javadoc.jar)
cli=$(one -cli.jar)
sbom=$(one -cyclonedx.json)

# Central's POM requirements.
python3 - "$pom" <<'PY' || fail "the POM lacks what Central requires"
import sys, xml.etree.ElementTree as ET
ns = {"m": "http://maven.apache.org/POM/4.0.0"}
p = ET.parse(sys.argv[1]).getroot()
def text(path):
    e = p.find(path, ns)
    return (e.text or "").strip() if e is not None else ""
need = {"name": "m:name", "description": "m:description", "url": "m:url",
        "license name": "m:licenses/m:license/m:name", "license url": "m:licenses/m:license/m:url",
        "developer name": "m:developers/m:developer/m:name", "scm url": "m:scm/m:url",
        "scm connection": "m:scm/m:connection", "scm developerConnection": "m:scm/m:developerConnection",
        "groupId": "m:groupId", "artifactId": "m:artifactId", "version": "m:version"}
missing = [k for k, v in need.items() if not text(v)]
if missing:
    print("POM lacks: " + ", ".join(missing), file=sys.stderr); sys.exit(1)
if text("m:licenses/m:license/m:name") != "Apache License, Version 2.0":
    print("POM license is " + text("m:licenses/m:license/m:name"), file=sys.stderr); sys.exit(1)
print("release-rehearsal: POM has " + ", ".join(need))
PY

# Every artifact signed, every signature good.
signed=0
for f in "$dir"/*; do
    case $f in *.asc | *.md5 | *.sha1 | *.sha256 | *.sha512 | */maven-metadata*) continue ;; esac
    [ -f "$f.asc" ] || fail "no signature for ${f##*/}"
    gpg --batch --verify "$f.asc" "$f" 2> "$tmp/verify.log" || { cat "$tmp/verify.log" >&2; fail "bad signature on ${f##*/}"; }
    signed=$((signed + 1))
done
[ "$signed" -ge 6 ] || fail "only $signed signed files (POM, jar, sources, javadoc, cli, SBOM expected)"
echo "release-rehearsal: $signed signatures verify with gpg --verify"

# Contents: sources and javadoc non-empty, licenses in every jar, the cli jar runnable, the SBOM.
# (Listings are read whole: grep -q would close the pipe early and trip pipefail.)
entries() { unzip -Z1 "$1"; }
has() { grep -qx -- "$2" <<< "$(entries "$1")"; }
[ "$(entries "$sources" | grep -c '\.java$')" -gt 20 ] || fail "sources jar has too few .java files"
has "$javadoc" index.html || fail "javadoc jar has no index.html"
[ "$(entries "$javadoc" | grep -c '\.html$')" -gt 20 ] || fail "javadoc jar has too few pages"
for jar in "$main" "$sources" "$javadoc" "$cli"; do
    has "$jar" META-INF/LICENSE || fail "${jar##*/} has no META-INF/LICENSE"
    has "$jar" META-INF/NOTICE || fail "${jar##*/} has no META-INF/NOTICE"
done
grep -q '^Main-Class: io.github.pvpatch.cli.Main' <<< "$(unzip -p "$cli" META-INF/MANIFEST.MF)" || fail "cli jar has no Main-Class"
for platform in linux-x86_64/libpvpatch_zydis.so linux-aarch64/libpvpatch_zydis.so windows-x86_64/pvpatch_zydis.dll; do
    if ! has "$main" "META-INF/native/$platform"; then
        [ "${CI:-}" = true ] && fail "main jar lacks META-INF/native/$platform"
        echo "release-rehearsal: note: main jar lacks META-INF/native/$platform (its cross compiler is missing)" >&2
    fi
done
echo "release-rehearsal: sources $(entries "$sources" | grep -c '\.java$') .java files, javadoc $(entries "$javadoc" | grep -c '\.html$') pages, LICENSE and NOTICE in all four jars"
python3 - "$sbom" <<'PY' || fail "the SBOM is not a CycloneDX BOM of io.github.pvpatch:pvpatch"
import json, sys
b = json.load(open(sys.argv[1]))
assert b["bomFormat"] == "CycloneDX", b.get("bomFormat")
c = b["metadata"]["component"]
assert (c["group"], c["name"]) == ("io.github.pvpatch", "pvpatch"), c
names = sorted(x["group"] + ":" + x["name"] for x in b.get("components", []))
print("release-rehearsal: SBOM CycloneDX " + b["specVersion"] + ", components: " + (", ".join(names) or "none"))
PY
echo "release-rehearsal: ok ($(( $(date +%s) - start )) s)"
