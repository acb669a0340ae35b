#!/bin/sh
# Builds one libFuzzer target over the library sources and runs it.
#   Fuzz/run.sh TARGET SECONDS [libFuzzer options...]
# TARGET is registry (Registry.parse) or nodespec (NodeSpec.parse). The corpus grows in
# fuzz-out/TARGET/corpus (seeded from Fuzz/corpus/TARGET); crashes land in
# fuzz-out/TARGET/crashes. Exits non-zero when the fuzzer finds a crash.
set -eu

target=${1:?usage: Fuzz/run.sh registry|nodespec SECONDS [libFuzzer options...]}
seconds=${2:?usage: Fuzz/run.sh registry|nodespec SECONDS [libFuzzer options...]}
shift 2

case $target in
  registry) harness=RegistryParse.swift ;;
  nodespec) harness=NodeSpecParse.swift ;;
  *) echo "Fuzz/run.sh: unknown target '$target'; use registry or nodespec" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
swift_bin=${SWIFT_BIN:-/opt/swift/usr/bin}
out=$root/fuzz-out/$target
build=$out/build
mkdir -p "$build/include" "$out/corpus" "$out/crashes"

# Build from a snapshot, so edits made meanwhile cannot break the compile half-way.
rm -rf "$build/src"
mkdir -p "$build/src"
cp -R "$root/Sources/PrivNUMA" "$root/Sources/CPrivNUMA" "$build/src/"
cp "$root/Fuzz/$harness" "$build/src/"

# The shim's header as a Clang module, the way SwiftPM presents it to the library.
cat >"$build/include/module.modulemap" <<MAP
module CPrivNUMA {
  header "$build/src/CPrivNUMA/include/CPrivNUMA.h"
  export *
}
MAP

"$swift_bin/clang" -O1 -g -fsanitize=address -I "$build/src/CPrivNUMA/include" \
  -c "$build/src/CPrivNUMA/shim.c" -o "$build/shim.o"
# The library's sources sit in its layer folders (System, Core, CLI and below them).
sources=$(find "$build/src/PrivNUMA" -name '*.swift' | sort)
# shellcheck disable=SC2086 # one word per source file; the paths have no blanks
"$swift_bin/swiftc" -O -g -sanitize=fuzzer,address -parse-as-library -module-name PrivNUMA \
  -use-ld=lld -I "$build/include" $sources "$build/src/$harness" "$build/shim.o" \
  -lcap -o "$build/$target-fuzzer"

seeds=$root/Fuzz/corpus/$target
dict=$root/Fuzz/$target.dict
set -- -max_total_time="$seconds" -artifact_prefix="$out/crashes/" -print_final_stats=1 "$@"
[ -f "$dict" ] && set -- -dict="$dict" "$@"
exec "$build/$target-fuzzer" "$@" "$out/corpus" "$seeds"
