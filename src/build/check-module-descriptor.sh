#!/usr/bin/env bash
# The module descriptor is API: what the jar exports and requires must match the committed
# snapshot. After an intended change, refresh it with:
#   jar --describe-module --file target/pvpatch-*.jar | sed 1d > module-info-docs/describe-module.txt
set -euo pipefail
jar_file=$1
snapshot=$2
jar_tool="${JAVA_HOME:+$JAVA_HOME/bin/}jar"
# Line 1 names the jar's path and version; blank lines carry nothing.
if ! diff -u <(sed '/^$/d' "$snapshot") <("$jar_tool" --describe-module --file "$jar_file" | sed '1d;/^$/d'); then
    echo "module descriptor differs from $snapshot: update module-info-docs/ in the same commit" >&2
    exit 1
fi
echo "module descriptor matches $snapshot"
