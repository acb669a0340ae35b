#!/bin/bash
# The layers point down (DESIGN §4): CLI → Core → System → CPrivNUMA. Each floor is compiled
# without the ones above it, so any name System takes from Core or CLI, or Core from CLI,
# fails the compile and the case; the C shim and the C library are imported in System only.

here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

swift=$(command -v swift || echo /opt/swift/usr/bin/swift)
swiftc=$(dirname "$swift")/swiftc
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/module.modulemap" <<MAP
module CPrivNUMA {
  header "$ROOT/Sources/CPrivNUMA/include/CPrivNUMA.h"
  export *
}
MAP

# compiles NAME FOLDER...: the Swift files of the folders type-check as the library alone.
compiles() {
    local name=$1 out
    shift
    local -a files=()
    mapfile -t files < <(for folder; do find "$ROOT/Sources/PrivNUMA/$folder" -name '*.swift'; done | sort)
    if ((${#files[@]} == 0)); then
        fail "$name" "no Swift files under ${*/#/Sources/PrivNUMA/}"
    elif out=$("$swiftc" -typecheck -parse-as-library -module-name PrivNUMA -I "$work" "${files[@]}" 2>&1); then
        pass "$name (${#files[@]} files)"
    else
        fail "$name" "$(printf '%s\n' "$out" | grep -m 5 'error:' | sed "s|$ROOT/||" | tr '\n' ' ')"
    fi
}

compiles "System uses nothing of Core or CLI" System
compiles "Core uses nothing of CLI" System Core

imports=$(cd "$ROOT" && grep -rlE '^(@_implementationOnly )?import (CPrivNUMA|Glibc)' Sources/PrivNUMA/Core Sources/PrivNUMA/CLI)
if [[ -z $imports ]]; then
    pass "only System imports the C shim and the C library"
else
    fail "only System imports the C shim and the C library" "imported in $(echo $imports)"
fi
