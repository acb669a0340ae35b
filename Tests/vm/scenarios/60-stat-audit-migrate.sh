# stat, audit and migrate on the real kernel.
#   stat      a shell holding 8 MiB under privnuma -m 2: stat --json puts its
#             pages on node 2, the same count as its numa_maps; the text table
#             has a Node 2 column and the pid
#   audit     registry: node 3 private, backend cpuset, Cgroup=privnuma.slice/mem3
#             (made here with cpuset.mems 0-3).  A root `numactl -m 3 sleep`
#             outside that cgroup is a violation (exit 1, pid, node 3, pages);
#             the same inside the cgroup is not.  Once the planted process is
#             killed the violations list is empty; the exit status stays 1
#             because this shell stays in the root cgroup, a fence leak
#   migrate   the node-2 shell moved to node 1 (migrate --to 1): pages leave
#             node 2 and its numa_maps agrees; bob may not move root's process
#
# cases: stat-membind stat-text stat-missing-pid audit-violation audit-text
# cases: audit-clean-after-kill migrate-to-node1 migrate-other-user

CG=/sys/fs/cgroup
REG60=/tmp/registry-60
EMPTY60=/tmp/registry-60-empty
j() { jsonq "$@" < "$_T/out" 2>/dev/null; }

# numa_pages PID NODE: pages of PID on NODE from its numa_maps.
numa_pages() {
    awk -v k="N$2=" '{ for (i = 3; i <= NF; i++) if (index($i, k) == 1) { split($i, a, "="); n += a[2] } } END { print n + 0 }' \
        "/proc/$1/numa_maps" 2>/dev/null || echo 0
}

# wait_for TEST...: up to 20 s for a condition.
wait_for() {
    local i=0
    until "$@"; do
        i=$((i + 1))
        [ "$i" -ge 200 ] && return 1
        usleep 100000 2>/dev/null || sleep 1
    done
}

# json_violation PID: the index in the last output's violations of PID, or none.
json_violation() {
    local k=0 count
    count=$(j -n violations)
    while [ "$k" -lt "${count:-0}" ]; do
        [ "$(j violations.$k.pid)" = "$1" ] && { echo "$k"; return; }
        k=$((k + 1))
    done
    echo none
}

cleanup60() {
    for p in $holder $planted $optedin; do kill "$p" 2>/dev/null; done
    for p in $holder $planted $optedin; do wait "$p" 2>/dev/null; done
    local i=0
    while [ -d "$CG/privnuma.slice/mem3" ] && [ "$i" -lt 10 ]; do
        rmdir "$CG/privnuma.slice/mem3" 2>/dev/null || sleep 1
        i=$((i + 1))
    done
    [ -n "$made_slice" ] && rmdir "$CG/privnuma.slice" 2>/dev/null
    rm -rf "$REG60" "$EMPTY60"
}

have_privnuma stat-membind || exit 0
mkdir -p "$EMPTY60"

# --- stat -------------------------------------------------------------------

ready=$(marker)
privnuma --registry "$EMPTY60" -m 2 sh -c \
    'v=$(head -c 8388608 /dev/zero | tr "\0" a); : > "$1"; sleep 600; :' holder "$ready" \
    </dev/null >/dev/null 2>&1 &
holder=$!
if ! wait_for [ -e "$ready" ]; then
    fail stat-membind "the node-2 shell (pid $holder) did not fill its 8 MiB in 20 s"
    cleanup60
    exit 0
fi
n2=$(numa_pages "$holder" 2)

run privnuma stat "$holder" --json --registry "$EMPTY60"
begin stat-membind
want_rc 0
if ! jsonq < "$_T/out" > /dev/null 2> "$_T/jerr"; then
    want "not valid JSON: $(cat "$_T/jerr")" false
else
    got=$(j processes.0.nodes.2.pages)
    want "schema: got '$(j schema)'" [ "$(j schema)" = privnuma.stat/1 ]
    want "pid: want $holder, got '$(j processes.0.pid)'" [ "$(j processes.0.pid)" = "$holder" ]
    want "pages on node 2: want >= 2048 (8 MiB), got '${got:-none}'" [ "${got:-0}" -ge 2048 ]
    want "pages on node 2: stat says '${got:-none}', numa_maps says $n2" [ "${got:-0}" -eq "$n2" ]
    want "anon pages on node 2: got '$(j processes.0.nodes.2.anon_pages)'" [ "$(j processes.0.nodes.2.anon_pages)" -ge 2048 ]
    want "node 2 marked private without a registry" [ "$(j processes.0.nodes.2.private)" = false ]
fi
end

run privnuma stat "$holder" "$$" --registry "$EMPTY60"
begin stat-text
want_rc 0
want_out_has "Node 2"
want "no row for pid $holder in: $OUT" sh -c 'printf "%s\n" "$1" | grep -q "^$2 "' - "$OUT" "$holder"
end

run privnuma stat 999999
begin stat-missing-pid
want_rc 1
want_err_has "no process 999999"
end

# --- audit ------------------------------------------------------------------

mkdir -p "$REG60"
cat > "$REG60/50-mem3.conf" <<'EOF'
# Node 3 kept for the jobs in privnuma.slice/mem3.
[Node]
Id=3
Label=mem3
Kind=expander
Capabilities=migration mempolicy
Cgroup=privnuma.slice/mem3
EOF
[ -d "$CG/privnuma.slice" ] || made_slice=1
if ! { mkdir -p "$CG/privnuma.slice/mem3" &&
       echo +cpuset > "$CG/privnuma.slice/cgroup.subtree_control" &&
       echo 0-1 > "$CG/privnuma.slice/mem3/cpuset.cpus" &&
       echo 0-3 > "$CG/privnuma.slice/mem3/cpuset.mems"; }; then
    fail audit-violation "cannot make $CG/privnuma.slice/mem3 with cpuset.mems 0-3"
    cleanup60
    exit 0
fi

# Opted in: the same binding from inside the opt-in cgroup.
sh -c "echo \$\$ > $CG/privnuma.slice/mem3/cgroup.procs && exec numactl -m 3 sleep 600" </dev/null >/dev/null 2>&1 &
optedin=$!
# The violation: root binding to node 3 from outside it.
numactl -m 3 sleep 600 </dev/null >/dev/null 2>&1 &
planted=$!
wait_for grep -q " N3=" "/proc/$planted/numa_maps"
wait_for grep -q " N3=" "/proc/$optedin/numa_maps"
p3=$(numa_pages "$planted" 3)

run privnuma audit --json --registry "$REG60"
begin audit-violation
want_rc 1
if ! jsonq < "$_T/out" > /dev/null 2> "$_T/jerr"; then
    want "not valid JSON: $(cat "$_T/jerr")" false
else
    k=$(json_violation "$planted")
    want "schema: got '$(j schema)'" [ "$(j schema)" = privnuma.audit/1 ]
    want "clean: got '$(j clean)'" [ "$(j clean)" = false ]
    want "the planted pid $planted (N3=$p3) is not among the violations: $(tr '\n' ' ' < "$_T/out" | cut -c1-400)" [ "$k" != none ]
    if [ "$k" != none ]; then
        want "violation node: got '$(j violations.$k.node)'" [ "$(j violations.$k.node)" = 3 ]
        want "violation label: got '$(j violations.$k.label)'" [ "$(j violations.$k.label)" = mem3 ]
        want "violation pages: got '$(j violations.$k.pages)'" [ "$(j violations.$k.pages)" -ge 1 ]
        want "violation command: got '$(j violations.$k.command)'" [ "$(j violations.$k.command)" = sleep ]
        want "violation user: got '$(j violations.$k.user)'" [ "$(j violations.$k.user)" = root ]
    fi
    want "the opted-in pid $optedin (in privnuma.slice/mem3) is reported" [ "$(json_violation "$optedin")" = none ]
    want "the opted-in sleeper has no page on node 3 (N3=$(numa_pages "$optedin" 3))" [ "$(numa_pages "$optedin" 3)" -ge 1 ]
    want "no broken fence, though pid $planted allocates on node 3 from $(sed 's/^0:://' /proc/$planted/cgroup)" \
        [ "$(j -n broken_fences)" -ge 1 ]
fi
end

run privnuma audit --registry "$REG60"
begin audit-text
want_rc 1
want_out_has "violations: "
want "the text does not name pid $planted: $OUT" sh -c 'printf "%s\n" "$1" | grep -q "^ *$2 .*sleep.*mem3"' - "$OUT" "$planted"
end

kill "$planted" 2>/dev/null
wait "$planted" 2>/dev/null
run privnuma audit --json --registry "$REG60"
begin audit-clean-after-kill
# Exit 1 still: this shell stays in the root cgroup, whose mems reach node 3, so
# the fence is broken; the violations are gone.
want_rc 1
want "broken fences after the kill: got '$(j -n broken_fences)', want at least 1 (the root cgroup)" [ "$(j -n broken_fences)" -ge 1 ]
want "violations after the kill: $(j -n violations) ($(tr '\n' ' ' < "$_T/out" | cut -c1-300))" [ "$(j -n violations)" = 0 ]
want "pid $planted still reported" [ "$(json_violation "$planted")" = none ]
end
planted=

# --- migrate ----------------------------------------------------------------

before2=$(numa_pages "$holder" 2)
before1=$(numa_pages "$holder" 1)
run privnuma migrate "$holder" --to 1 --json --registry "$EMPTY60"
after2=$(numa_pages "$holder" 2)
after1=$(numa_pages "$holder" 1)
begin migrate-to-node1
want_rc 0
want "schema: got '$(j schema)'" [ "$(j schema)" = privnuma.migrate/1 ]
want "moved_pages: got '$(j moved_pages)', node 2 had $before2" [ "$(j moved_pages)" -ge $((before2 * 95 / 100)) ]
want "numa_maps after: node 2 has $after2 of $before2 pages left" [ "$after2" -le $((before2 / 20)) ]
want "numa_maps after: node 1 has $after1 pages, had $before1, want +$((before2 * 95 / 100))" \
    [ "$after1" -ge $((before1 + before2 * 95 / 100)) ]
want "after.2 in the JSON: got '$(j after.2)', numa_maps says $after2" [ "$(j after.2 || echo 0)" -le $((before2 / 20)) ]
want_err_has "memory policy naming node 2"
end

run run_as bob privnuma migrate "$holder" --to 0 --registry "$EMPTY60"
begin migrate-other-user
want_rc 1
want_err_has "root"
want "bob moved root's pages: node 1 now $(numa_pages "$holder" 1), was $after1" [ "$(numa_pages "$holder" 1)" -ge $((after1 * 95 / 100)) ]
end

cleanup60
