#!/bin/bash
# Every command of README.md is one a test runs. The README's ```sh blocks are read in
# order and, by the marker on the line before the block:
#
#   (none)         run here, in one bash session from the repository's top directory, so
#                  exports carry over from block to block; each command must exit 0, or
#                  the status its '# exit N' comment names, and show the outcome the
#                  README documents for it (the table `outcome` below, checked against
#                  an independent reading where there is one); a command without an
#                  entry there, or one the session cannot complete, is a failure
#   <!-- vm -->    needs a machine with several NUMA nodes: each command (without 'sudo'
#                  and comments) must be run by a README scenario of the VM suite
#                  (Tests/vm/scenarios*/*readme*.sh or Tests/vm/systemd/scenarios/*readme*.sh,
#                  on a 'run ...' line, not in a comment), which checks its outcome in the guest
#   <!-- ci -->    a command that .ci/run runs is checked to be there (make test cannot
#                  run inside itself); the others run here
#
# The session runs with HOME in a scratch directory (the README writes ~/job.sh),
# DESTDIR set to a scratch directory so 'make install' stages there instead of touching
# the system, BENCH_RUNS small, the bench guest moving 64 MiB once by each tool (about half
# a minute with its boot) and the bench's figures in the scratch directory (its
# generated fixtures stay in .cache/bench), and 'sudo' replaced by a shim that runs the command as is
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

# What each host command of the README documents, as a test on its output ($LOG, stdout
# and stderr) run after it; "status" where the exit status is all it promises. Keys are
# the command's first line without its comment.
node_online=$(cat /sys/devices/system/node/online)
rfc=$ROOT/Tests/PrivNUMATests/Fixtures/rfc-v4/sys/devices/system/node
declare -A outcome=(
    # The demo's launch: numa_maps lines of a shell bound to node 0.
    ['make demo']="grep -qE '^[0-9a-f]+ bind:0 ' \"\$LOG\" && grep -q '^available: ' \"\$LOG\""
    ['export PATH="$PWD/.build/release:$PATH"']='[ "$(command -v privnuma)" = "$ROOT/.build/release/privnuma" ]'
    # numactl's layout, with the node list sysfs gives.
    ['privnuma --hardware']="head -n1 \"\$LOG\" | grep -qx 'available: [0-9]* nodes ($node_online)' && grep -q '^node distances:' \"\$LOG\""
    # The walk-through: the kernel's numa_maps line of the heap says bind:0.
    ["privnuma -m 0 -- sh -c 'grep -m1 heap /proc/self/numa_maps'"]="grep -qE '^[0-9a-f]+ bind:0 heap' \"\$LOG\""
    ['privnuma -m 0 privnuma show']="grep -qx 'policy: bind' \"\$LOG\" && grep -qE '^membind: 0 ?\$' \"\$LOG\""
    ['privnuma -m 9 -- true']="grep -q 'node 9 does not exist' \"\$LOG\""
    ['privnuma -m 0 -i 0 -- true']="grep -q 'only one memory policy per launch' \"\$LOG\""
    ['privnuma -m 0 -- no-such-program']="grep -q 'no-such-program: command not found' \"\$LOG\""
    ['export PRIVNUMA_SYSFS="$PWD/Tests/PrivNUMATests/Fixtures/rfc-v4/sys"']='[ -d "$PRIVNUMA_SYSFS/devices/system/node" ]'
    ['export PRIVNUMA_PROC="$PWD/Tests/PrivNUMATests/Fixtures/rfc-v4/proc"']='[ -f "$PRIVNUMA_PROC/self/status" ]'
    # The fixture's own files say four nodes, 2 and 3 private, 3 not bindable.
    ['privnuma hardware']="head -n1 \"\$LOG\" | grep -qx 'available: 4 nodes ($(cat "$rfc/online"))' && grep -q '^node 2 private: node2 backend=kernel' \"\$LOG\" && grep -q '^node 3 private: node3 .*(not bindable)' \"\$LOG\""
    ['privnuma nodes']="grep -qE '^2 +node2 +- +kernel +yes ' \"\$LOG\" && grep -qE '^3 +node3 +- +kernel +no ' \"\$LOG\""
    # 'all' is the general nodes: interleave over 0 and 1 only.
    ['privnuma explain -i all']="grep -q 'set_mempolicy(MPOL_INTERLEAVE, nodes 0-1)' \"\$LOG\""
    ['privnuma explain -p node2 -- sleep 1']="grep -q 'set_mempolicy(MPOL_PREFERRED, nodes 2)' \"\$LOG\" && grep -qE '^ *ok +command +sleep is /' \"\$LOG\""
    # No ./app in the repository: explain gives the launch's 127 and says why.
    ['privnuma explain -p node2 -- ./app']="grep -q '^verdict: refused (exit 127): ./app: command not found' \"\$LOG\""
    ['privnuma explain -m node3']="grep -q '^verdict: refused (exit 3): node 3 (node3) does not allow memory policies' \"\$LOG\""
    ['privnuma nodes --registry examples']="grep -qE '^2 +cxl0 +expander .* denied: .*AllowGroups=cram' \"\$LOG\""
    ['privnuma check cxl0 --policy preferred --registry examples']="grep -q 'is not allowed (AllowGroups=cram)' \"\$LOG\""
    ['unset PRIVNUMA_SYSFS PRIVNUMA_PROC']='[ -z "${PRIVNUMA_SYSFS:-}${PRIVNUMA_PROC:-}" ]'
    # The fixture's one process with pages on the private node without opting in.
    ['PRIVNUMA_SYSFS=Tests/PrivNUMATests/Fixtures/proc-kernel/sys PRIVNUMA_PROC=Tests/PrivNUMATests/Fixtures/proc-kernel/proc privnuma audit']="grep -q '^violations: 1 ' \"\$LOG\" && grep -qE '^ *701 +leaky +([^ ]+ \(uid 1002\)|uid 1002) +2 +node2 +50 ' \"\$LOG\" && grep -qx 'not clean' \"\$LOG\""
    ["cat > ~/job.sh <<'EOF'"]='[ -f ~/job.sh ] && grep -q "privnuma check cxl0 --policy preferred" ~/job.sh'
    ['chmod +x ~/job.sh']='[ -x ~/job.sh ]'
    # This machine has no node labelled cxl0: a mistake (exit 2), which the script says
    # and stops on instead of falling back.
    ["~/job.sh sh -c 'grep -m1 heap /proc/self/numa_maps'"]="grep -q \"^job.sh: privnuma: .*'cxl0' is not a node number, range, label\" \"\$LOG\" && ! grep -q ' heap' \"\$LOG\""
    ["privnuma -m 0 -- sh -c 'exit 7'"]=status
    ['privnuma -p rank:2,3 -- ./app']="grep -q 'rank' \"\$LOG\""
    ['SLURM_LOCALID=2 privnuma -p rank:2,3 -- ./app']="grep -q 'rank' \"\$LOG\""
    # Local rank 1 picks the second entry, node 0.
    ['SLURM_LOCALID=1 privnuma -p rank:0,0 -- privnuma show']="grep -qx 'policy: preferred' \"\$LOG\" && grep -qE '^preferred: 0 ?\$' \"\$LOG\""
    # The SPANK plugin is a shared object built against Slurm's spank.h, staged where
    # plugstack.conf is told to find it.
    ['make slurm-plugin']='readelf -h "$ROOT/.build/slurm/privnuma_spank.so" | grep -q "DYN (Shared object file)"'
    ['sudo make install-slurm-plugin']='cmp -s "$DESTDIR/usr/local/lib/privnuma/privnuma_spank.so" "$ROOT/.build/slurm/privnuma_spank.so"'
    # The package of this tree's version, named as apt-get install ./privnuma_*.deb finds it.
    ['make deb']='deb="$ROOT/privnuma_$(dpkg-parsechangelog -l "$ROOT/debian/changelog" -SVersion)_$(dpkg --print-architecture).deb"; [ "$(dpkg-deb -f "$deb" Package)" = privnuma ]'
    # The installed binary is the release build this tree makes.
    ['sudo make install']='cmp -s "$DESTDIR/usr/local/bin/privnuma" "$ROOT/.build/release/privnuma" && [ -f "$DESTDIR/usr/local/share/man/man1/privnuma.1" ]'
    ['sudo make uninstall']='[ ! -e "$DESTDIR/usr/local/bin/privnuma" ] && [ ! -e "$DESTDIR/usr/local/share/man/man1/privnuma.1" ]'
    ['sudo make install PRIVILEGE=setcap']='getcap "$DESTDIR/usr/local/bin/privnuma" | grep -q "cap_dac_override,cap_sys_nice=p"'
    ['sudo make install PRIVILEGE=setuid']='[ "$(stat -c %a:%U "$DESTDIR/usr/local/bin/privnuma")" = 4755:root ]'
    ['make bench']="grep -qE '^privnuma -m 0 true / numactl -m 0 true +[0-9.]+ x' \"\$LOG\" && grep -qE '^hardware --json, 1,024 nodes +[0-9.]+ ms' \"\$LOG\" && grep -qE '^guest: privnuma -m cxl0 / numactl -m 2 +[0-9.]+ x' \"\$LOG\" && grep -qE '^guest: privnuma migrate / migratepages +[0-9.]+ x' \"\$LOG\" && grep -qE '^[0-9]+ of [0-9]+ targets met' \"\$LOG\" && [ -s \"\$BENCH_RESULTS/last.tsv\" ]"
)

# Builds the session script: each command of a host block, then a check of its status
# and of its documented outcome.
# A command ends where the lines so far form complete shell syntax ('bash -n' is silent).
session=$scratch/session.sh
vm_commands=()
ci_commands=()
declare -A used=()
{
    echo 'cd "$ROOT" || exit 1'
    echo 'report() {
        if [ "$1" != "$2" ]; then echo "FAIL readme: $3: exit $1, want $2; output: $(tail -n 8 "$LOG" | tr "\n" " ")" >&3
        elif [ "$4" != status ] && ! ( eval "$4" ) >/dev/null 2>&1; then echo "FAIL readme: $3: not the outcome the README documents ($4); output: $(tail -n 8 "$LOG" | tr "\n" " ")" >&3
        else echo "PASS readme: $3" >&3; fi
    }'
    marker= lang= text=
    while IFS= read -r line; do
        case $line in
            $'\036BEGIN\t'*)
                IFS=$'\t' read -r _ marker lang <<<"$line"
                text=
                continue
                ;;
            $'\036END')
                [[ -n ${text//[[:space:]]/} ]] && printf 'echo %q >&3\n' "FAIL readme: unfinished command (not complete shell syntax at the end of its block): ${text%%$'\n'*}"
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
            used[$name]=1
            if [[ -z ${outcome[$name]:-} ]]; then
                printf 'echo %q >&3\n' "FAIL readme: $name: no documented outcome is checked for it (add it to 'outcome' in Tests/shell/readme.sh)"
            fi
            printf ': > "$LOG"\n{\n%s} >>"$LOG" 2>&1 </dev/null\nreport $? %s %q %q\n' "$text" "$want" "$name" "${outcome[$name]:-status}"
            text=
        fi
    done < <(blocks)
} > "$session"

# An outcome for a command the README no longer has: the table went stale.
for name in "${!outcome[@]}"; do
    [[ -n ${used[$name]:-} ]] || fail "readme: $name" "Tests/shell/readme.sh checks an outcome for it, but README.md has no such command"
done

for command in "${ci_commands[@]}"; do
    pass "readme: $command (run by .ci/run)"
done

# The VM suite runs the scenarios; each README command must be one of theirs.
for command in "${vm_commands[@]}"; do
    plain=${command#sudo }
    plain=${plain%%#*}
    plain=$(printf '%s' "$plain" | sed 's/[[:space:]]*$//')
    # Only a README scenario's 'run' lines count: a comment naming the command, or
    # another scenario that happens to run the same words, is no test of it.
    found=$(for f in "$ROOT"/Tests/vm/scenarios*/*readme*.sh "$ROOT"/Tests/vm/systemd/scenarios/*readme*.sh; do
                [ -e "$f" ] || continue
                grep -E '^[[:space:]]*run[[:space:]]' "$f" | grep -qF -- "$plain" && { echo "$f"; break; }
            done)
    if [[ -n $found ]]; then
        pass "readme (vm): $plain (${found##*/})"
    else
        fail "readme (vm): $plain" "no README scenario of the VM suite (Tests/vm/scenarios*/*readme*.sh, Tests/vm/systemd/scenarios/*readme*.sh) runs it on a 'run' line"
    fi
done

# The host session: privnuma from the build, nothing of the caller's environment that
# would change what privnuma reads.
env -u PRIVNUMA_SYSFS -u PRIVNUMA_PROC -u PRIVNUMA_CGROUP -u PRIVNUMA_REGISTRY \
    -u SLURM_LOCALID -u OMPI_COMM_WORLD_LOCAL_RANK -u MPI_LOCALRANKID \
    ROOT="$ROOT" LOG="$scratch/log" HOME="$scratch/home" DESTDIR="$scratch/stage" \
    BENCH_RUNS=${BENCH_RUNS:-20} BENCH_ROUNDS=2 SCALE_RUNS=3 BENCH_RESULTS="$scratch/bench" \
    BENCH_VM_MIB=64 BENCH_VM_MIGRATIONS=1 \
    SCALE_FIXTURES="$ROOT/.cache/bench/fixtures" PATH="$scratch/shims:$PATH" \
    bash "$session" 3>&1 >/dev/null 2>&1
