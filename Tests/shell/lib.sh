# Helpers shared by the shell tests; sourced by each test file.
#
#   pass NAME / fail NAME REASON   report a case: "PASS name" or "FAIL name: reason"
#   check NAME CMD...              pass when CMD succeeds, else fail with its output
#   has LIST WORD                  WORD is one of the lines of LIST
#
# Each file reports through these; Tests/shell/run counts the lines.

pass() { printf 'PASS %s\n' "$1"; }
fail() { printf 'FAIL %s: %s\n' "$1" "$2"; }

check() {
    local name=$1 out
    shift
    if out=$("$@" 2>&1); then
        pass "$name"
    else
        fail "$name" "'$*' failed: $(printf '%s' "$out" | tail -n 5 | tr '\n' ' ')"
    fi
}

has() { printf '%s\n' "$1" | grep -qxF -- "$2"; }

# The repository root and the binary under test.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PRIVNUMA_BIN=${PRIVNUMA_BIN:-$ROOT/.build/release/privnuma}
FIXTURES=$ROOT/Tests/PrivNUMATests/Fixtures
