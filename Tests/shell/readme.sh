#!/bin/bash
# Every command of README.md is one a test runs. The README's ```sh blocks are read in
# order and, by the marker on the line before the block:
#
#   (none)         run here, in one bash session from the repository's top directory, so
#                  exports carry over from block to block; each command must exit 0, or
#                  the status its '# exit N' comment names
#   <!-- vm -->    needs a machine with several NUMA nodes: each command (without 'sudo'
#                  and comments) must appear in a scenario of Tests/vm/scenarios, which
#                  the VM suite runs
#   <!-- ci -->    a command that .ci/run runs is checked to be there (make test cannot
#                  run inside itself); the others run here
#
# The session runs with HOME in a scratch directory (the README writes ~/job.sh),
# DESTDIR set to a scratch directory so 'make install' stages there instead of touching
# the system, BENCH_RUNS small, and 'sudo' replaced by a shim that runs the command as is
# (the tests run as root; a real sudo would reset DESTDIR). The README's example registry
# file must be examples/50-cxl0.conf.

here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"
readme=$ROOT/README.md

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/home" "$scratch/stage" "$scratch/shims"
cat > "$scratch/shims/sudo" <<'EOF'
#!/bin/sh
# The tests run as root: run the command as it is, with the environment kept.
[ "$(id -u)" = 0 ] || { echo "sudo shim: the README test needs root" >&2; exit 1; }
exec "$@"
EOF
chmod +x "$scratch/shims/sudo"

# Splits README.md into blocks: "<marker>\t<language>" header lines, then the lines.
blocks() {
    awk '
        /^<!-- [a-z]+ -->$/ { marker = $2; next }
        /^```/ {
            if (inside) { inside = 0; print "\036END"; marker = ""; next }
            inside = 1; lang = substr($0, 4); print "\036BEGIN\t" (marker == "" ? "host" : marker) "\t" lang; next
        }
        inside { print; next }
        NF { marker = "" }
    ' "$readme"
}

# The README's registry example is the shipped example file, without its comments.
ini=$(blocks | awk '/^\036BEGIN\t.*\tini$/ { on = 1; next } /^\036END/ { if (on) exit } on' | grep -v '^#')
example=$(grep -v -e '^#' -e '^$' "$ROOT/examples/50-cxl0.conf")
if [[ $ini == "$example" ]]; then
    pass "readme: its registry example is examples/50-cxl0.conf"
else
    fail "readme: its registry example is examples/50-cxl0.conf" "they differ: $(diff <(echo "$ini") <(echo "$example") | tr '\n' ' ')"
fi

# Builds the session script: each command of a host block, then a check of its status.
# A command ends where the lines so far form complete shell syntax ('bash -n' is silent).
session=$scratch/session.sh
vm_commands=()
ci_commands=()
{
    echo 'cd "$ROOT" || exit 1'
    echo 'report() { if [ "$1" = "$2" ]; then echo "PASS readme: $3" >&3; else echo "FAIL readme: $3: exit $1, want $2; output: $(tail -n 8 "$LOG" | tr "\n" " ")" >&3; fi; }'
    marker= lang= text=
    while IFS= read -r line; do
        case $line in
            $'\036BEGIN\t'*)
                IFS=$'\t' read -r _ marker lang <<<"$line"
                text=
                continue
                ;;
            $'\036END')
                [[ -n ${text//[[:space:]]/} ]] && echo "echo 'unfinished command: ${text//\'/}' >&3"
                marker= lang= text=
                continue
                ;;
        esac
        [[ $lang == sh ]] || continue
        if [[ $marker == vm ]]; then
            [[ -n ${line//[[:space:]]/} ]] && vm_commands+=("$line")
            continue
        fi
        if [[ $marker == ci ]] && grep -qxF "$line" <(sed 's/^[[:space:]]*//' "$ROOT/.ci/run"); then
            ci_commands+=("$line")
            continue
        fi
        text+=$line$'\n'
        [[ -z ${text//[[:space:]]/} ]] && { text=; continue; }
        [[ $line == *\\ ]] && continue
        if [[ -z $(bash -n <<<"$text" 2>&1) ]]; then
            first=${text%%$'\n'*}
            want=0
            [[ $first =~ \#\ exit\ ([0-9]+) ]] && want=${BASH_REMATCH[1]}
            name=${first%%  *#*}
            printf ': > "$LOG"\n{\n%s} >>"$LOG" 2>&1 </dev/null\nreport $? %s %q\n' "$text" "$want" "$name"
            text=
        fi
    done < <(blocks)
} > "$session"

for command in "${ci_commands[@]}"; do
    pass "readme: $command (run by .ci/run)"
done

# The VM suite runs the scenarios; each README command must be one of theirs.
for command in "${vm_commands[@]}"; do
    plain=${command#sudo }
    plain=${plain%%#*}
    plain=$(printf '%s' "$plain" | sed 's/[[:space:]]*$//')
    found=$(grep -lF -- "$plain" "$ROOT"/Tests/vm/scenarios/*.sh 2>/dev/null | head -n 1)
    if [[ -n $found ]]; then
        pass "readme (vm): $plain (${found##*/})"
    else
        fail "readme (vm): $plain" "no scenario in Tests/vm/scenarios runs it"
    fi
done

# The host session: privnuma from the build, nothing of the caller's environment that
# would change what privnuma reads.
env -u PRIVNUMA_SYSFS -u PRIVNUMA_PROC -u PRIVNUMA_CGROUP -u PRIVNUMA_REGISTRY \
    -u SLURM_LOCALID -u OMPI_COMM_WORLD_LOCAL_RANK -u MPI_LOCALRANKID \
    ROOT="$ROOT" LOG="$scratch/log" HOME="$scratch/home" DESTDIR="$scratch/stage" \
    BENCH_RUNS=${BENCH_RUNS:-20} PATH="$scratch/shims:$PATH" \
    bash "$session" 3>&1 >/dev/null 2>&1
