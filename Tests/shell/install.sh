#!/bin/bash
# make install and make uninstall into a staging directory (DESTDIR) with PREFIX=/usr:
# every file lands where its consumer looks (man, bash-completion, zsh, fish, doc), the
# installed copies equal the sources, the installed binary and pages work, uninstall
# removes everything, and each PRIVILEGE mode sets what it says.

here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
make_quiet() { make -s -C "$ROOT" "$@" >"$stage.log" 2>&1 || { cat "$stage.log"; return 1; }; }

# source:installed pairs, installed paths relative to DESTDIR.
files=(
    .build/release/privnuma:usr/bin/privnuma
    man/privnuma.conf.5:usr/share/man/man5/privnuma.conf.5
    completions/privnuma.bash:usr/share/bash-completion/completions/privnuma
    completions/_privnuma:usr/share/zsh/vendor-completions/_privnuma
    completions/privnuma.fish:usr/share/fish/vendor_completions.d/privnuma.fish
    examples/50-cxl0.conf:usr/share/doc/privnuma/50-cxl0.conf
    README.md:usr/share/doc/privnuma/README.md
)

if ! make_quiet install DESTDIR="$stage" PREFIX=/usr; then
    fail "make install" "$(tail -n 5 "$stage.log" | tr '\n' ' ')"
    exit 0
fi
pass "make install DESTDIR=... PREFIX=/usr"
for pair in "${files[@]}"; do
    source=${pair%%:*} installed=${pair#*:}
    if [[ ! -f $stage/$installed ]]; then
        fail "installs /$installed" "missing"
    elif ! cmp -s "$ROOT/$source" "$stage/$installed"; then
        fail "installs /$installed" "differs from $source"
    else
        pass "installs /$installed"
    fi
done
check "installed binary is executable by all" test "$(stat -c %a "$stage/usr/bin/privnuma")" = 755
check "installed binary runs" "$stage/usr/bin/privnuma" --version
# The manual is the source with the example file's path under PREFIX.
if [[ ! -f $stage/usr/share/man/man1/privnuma.1 ]]; then
    fail "installs /usr/share/man/man1/privnuma.1" "missing"
elif ! cmp -s <(sed -e 's|/usr/local/share/doc/privnuma|/usr/share/doc/privnuma|g' -e 's|/usr/local/lib/privnuma|/usr/lib/privnuma|g' "$ROOT/man/privnuma.1") "$stage/usr/share/man/man1/privnuma.1"; then
    fail "installs /usr/share/man/man1/privnuma.1" "differs from man/privnuma.1 with PREFIX=/usr put in"
else
    pass "installs /usr/share/man/man1/privnuma.1"
fi
check "installed man page names the example file under PREFIX" grep -q '^\.I /usr/share/doc/privnuma/50\\-cxl0.conf$' "$stage/usr/share/man/man1/privnuma.1"
check "installed man page names the Slurm plugin under PREFIX" grep -q '^\.I /usr/lib/privnuma/privnuma_spank.so$' "$stage/usr/share/man/man1/privnuma.1"
check "installed man page renders" sh -c "MANWIDTH=80 man -l '$stage/usr/share/man/man1/privnuma.1' | grep -q PRIVNUMA"
check "installed bash completion loads" bash -c "source /usr/share/bash-completion/bash_completion; source '$stage/usr/share/bash-completion/completions/privnuma'; complete -p privnuma"
# fish completes only commands it can find: the installed privnuma on PATH.
check "installed fish completion autoloads" env PATH="$stage/usr/bin:$PATH" fish --no-config -c "set -g fish_complete_path '$stage/usr/share/fish/vendor_completions.d'; complete -C 'privnuma --mem' | grep -q membind"
check "installed zsh completion is a #compdef file" sh -c "head -1 '$stage/usr/share/zsh/vendor-completions/_privnuma' | grep -qx '#compdef privnuma'"

if make_quiet uninstall DESTDIR="$stage" PREFIX=/usr; then
    left=$(find "$stage" -type f)
    if [[ -z $left ]]; then
        pass "make uninstall removes every file"
    else
        fail "make uninstall removes every file" "left: $left"
    fi
else
    fail "make uninstall" "$(tail -n 5 "$stage.log" | tr '\n' ' ')"
fi

# PRIVILEGE: a bad value is refused; setcap and setuid set what README says (as root).
if make -s -C "$ROOT" install DESTDIR="$stage" PREFIX=/usr PRIVILEGE=bogus >"$stage.log" 2>&1; then
    fail "PRIVILEGE=bogus is refused" "make install succeeded"
else
    grep -q "PRIVILEGE must be none, setcap or setuid" "$stage.log" &&
        pass "PRIVILEGE=bogus is refused" || fail "PRIVILEGE=bogus is refused" "$(cat "$stage.log")"
fi
if [[ $(id -u) -ne 0 ]]; then
    fail "PRIVILEGE=setcap and setuid" "run as root to check them"
else
    if make_quiet install DESTDIR="$stage" PREFIX=/usr PRIVILEGE=setcap; then
        caps=$(getcap "$stage/usr/bin/privnuma" 2>&1)
        [[ $caps == *cap_dac_override,cap_sys_nice=p* ]] &&
            pass "PRIVILEGE=setcap: cap_dac_override,cap_sys_nice permitted only" ||
            fail "PRIVILEGE=setcap" "getcap says: $caps"
    else
        fail "PRIVILEGE=setcap" "$(tail -n 3 "$stage.log" | tr '\n' ' ')"
    fi
    if make_quiet install DESTDIR="$stage" PREFIX=/usr PRIVILEGE=setuid; then
        mode=$(stat -c '%a %U' "$stage/usr/bin/privnuma")
        [[ $mode == "4755 root" ]] && pass "PRIVILEGE=setuid: mode 4755, owner root" ||
            fail "PRIVILEGE=setuid" "mode and owner: $mode"
    else
        fail "PRIVILEGE=setuid" "$(tail -n 3 "$stage.log" | tr '\n' ' ')"
    fi
    make_quiet uninstall DESTDIR="$stage" PREFIX=/usr
fi
rm -f "$stage.log"
