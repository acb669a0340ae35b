#!/bin/bash
# The completion scripts in their real shells: each script is loaded the way its shell
# loads it and asked for the completions of a line, as if TAB were pressed at its end.
#   bash: bash-completion loaded, then completions/privnuma.bash (complete.bash)
#   zsh:  an interactive zsh in a pseudo-terminal with completions/ in $fpath (complete.zsh)
#   fish: completions/ first in $fish_complete_path (autoloaded as when installed), then
#         `complete -C LINE`; --no-config keeps the user's own files out
# Node words come from the privnuma under test, found on PATH as the scripts expect.

here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
ln -s "$PRIVNUMA_BIN" "$bin/privnuma"
export PATH=$bin:$PATH

# complete SHELL LINE: the candidates, one a line.
complete_in() {
    case $1 in
        bash) "$here/complete.bash" "$ROOT/completions/privnuma.bash" "$2" ;;
        zsh) "$here/complete.zsh" "$ROOT/completions" "$2" ;;
        fish)
            fish --no-config -c 'set -g fish_complete_path $argv[1] $__fish_data_dir/completions
                complete -C $argv[2]' "$ROOT/completions" "$2" | cut -f1
            ;;
    esac
}

# want SHELL LINE WORD... : every WORD is offered (a WORD starting with ! must not be).
want() {
    local shell=$1 line=$2 out word missing=
    shift 2
    if ! out=$(complete_in "$shell" "$line" 2>&1); then
        fail "$shell: '$line'" "the harness failed: $(printf '%s' "$out" | tail -n 3 | tr '\n' ' ')"
        return
    fi
    for word; do
        if [[ $word == '!'* ]]; then
            has "$out" "${word#!}" && missing+=" (unwanted ${word#!})"
        else
            has "$out" "$word" || missing+=" $word"
        fi
    done
    if [[ -z $missing ]]; then
        pass "$shell: '$line'"
    else
        fail "$shell: '$line'" "missing:$missing; offered: $(printf '%s' "$out" | head -n 20 | tr '\n' ' ')"
    fi
}

for shell in bash zsh fish; do
    command -v "$shell" >/dev/null || { fail "$shell" "not installed (apt-get install $shell)"; continue; }
    # The three lines of issue 6, on this machine (one node, no registry).
    want "$shell" 'privnuma --mem' --membind '!--preferred'
    want "$shell" 'privnuma -m ' 0 all '!private' '!--membind'
    want "$shell" 'privnuma -m 0 ls -' --all '!--membind'
    # Subcommands, policy modes, fixed words, CPUs.
    want "$shell" 'privnuma ' show hardware nodes check explain stat audit migrate fence '!0'
    want "$shell" 'privnuma check 0 --policy ' bind preferred preferred-many interleave weighted-interleave '!local'
    want "$shell" 'privnuma fence ' status apply
    want "$shell" 'privnuma fence apply --d' --dry-run
    # Each subcommand its own options: status has no --dry-run, remove no --registry.
    want "$shell" 'privnuma fence status --' --json --registry '!--dry-run'
    want "$shell" 'privnuma fence apply --' --dry-run --json --registry
    want "$shell" 'privnuma fence remove --' --dry-run --json '!--registry'
    want "$shell" 'privnuma he' help
    want "$shell" 'privnuma help ' show fence '!help'
    want "$shell" 'privnuma migrate 1 --to ' 0 all '!--json'
    want "$shell" 'privnuma -C ' 0 all
    want "$shell" 'privnuma -H --' --json --registry '!--membind'
    want "$shell" 'privnuma nodes --' --json --registry '!--membind'
    want "$shell" 'privnuma explain -' --json --membind '!--show'
    # The command and its arguments belong to the command's own completion.
    want "$shell" 'privnuma -m 0 l' ls '!--membind'
    want "$shell" 'privnuma -- l' ls
    want "$shell" 'privnuma --membind=0 -b ls -' --all '!--membind'
    want "$shell" 'privnuma explain -m 0 -- ls -' --all '!--json'
done

# Registry labels and `private` come from the registry at TAB time: an RFC-v4 machine
# (nodes 0-3, 2 and 3 private) with the registry that labels them cxl0 and zram.
export PRIVNUMA_SYSFS=$FIXTURES/rfc-v4/sys
export PRIVNUMA_REGISTRY=$FIXTURES/registry/good/nodes.d
for shell in bash zsh fish; do
    command -v "$shell" >/dev/null || continue
    want "$shell" 'privnuma -m ' 0 1 2 3 cxl0 zram all private
    want "$shell" 'privnuma -p ' 0 cxl0 '!all' '!private'
    want "$shell" 'privnuma -m 0,' 0,1 0,cxl0 '!0,0' '!0,all'
    want "$shell" 'privnuma check c' cxl0 '!0'
    want "$shell" 'privnuma explain --interleave ' all private cxl0
    # -N takes nodes with CPUs: the memory-only nodes 2 and 3 are not offered.
    want "$shell" 'privnuma -N ' 0 1 all '!2' '!3' '!cxl0' '!private'
    want "$shell" 'privnuma -m 2 --cpubind ' 0 1 '!2'
done
want bash 'privnuma --membind=c' cxl0
want zsh 'privnuma --membind=c' cxl0
want fish 'privnuma --membind=c' --membind=cxl0
want bash 'privnuma -m0,' -m0,1 -m0,cxl0
# zsh keeps the option letter as typed (compset -P) and offers what follows it.
want zsh 'privnuma -m0,' 0,1 0,cxl0
# Bash splits rank:2,3 at ':'; readline replaces only what follows it.
want bash 'privnuma -p rank:' 0 cxl0
want zsh 'privnuma -p rank:' rank:0 rank:cxl0
want fish 'privnuma -p rank:' rank:0 rank:cxl0
want bash 'privnuma -p rank:cxl0,' cxl0,0 cxl0,cxl0

# --registry on the line is the registry the labels come from.
unset PRIVNUMA_REGISTRY
for shell in bash zsh fish; do
    command -v "$shell" >/dev/null || continue
    want "$shell" "privnuma --registry $FIXTURES/registry/good/nodes.d -m c" cxl0
    want "$shell" 'privnuma -m c' '!cxl0'
done
