# The bench guest's measurements (busybox sh, as root; Tests/bench/vm boots the
# guest and turns these lines into figures):
#
#   VM-BENCH migrate ROUND TOOL SECONDS PAGES LEFT MOVED
#       one move of a fresh MIB-MiB process from node 2 to node 3, timed by
#       hyperfine (one run): TOOL is privnuma (privnuma migrate PID --from 2
#       --to 3) or migratepages (numactl's migratepages PID 2 3); PAGES the
#       mapping's pages, LEFT those still on node 2 and MOVED those on node 3
#       afterwards, from /proc/PID/numa_maps.  The two tools alternate which
#       goes first.
#   VM-BENCH launch ROUND WHAT SECONDS
#       hyperfine medians as alice: cpuset (privnuma -m cxl0 true through the
#       setcap install, started in the fence's general cgroup, so every launch
#       joins the opt-in cgroup privnuma.slice/cxl0; the suite's registry of 2
#       files), cpuset8 (the same with 8 registry files), numactl (numactl -m 2
#       true, started in the root cgroup, where node 2 is allowed: numactl
#       cannot reach a fenced node) and true.  The three hyperfine runs of a
#       round go in rotating order.
#   VM-BENCH error TEXT
#       a step failed; nothing after it was measured.
#
# Settings (/vm/bench.conf, from the host): BENCH_RUNS launch runs of each
# command in BENCH_ROUNDS rounds, BENCH_MIB MiB moved in BENCH_MIGRATIONS
# rounds.

. /vm/lib.sh
. /vm/fence.sh
. /vm/bench.conf

runs=$((BENCH_RUNS / BENCH_ROUNDS))
[ "$runs" -ge 10 ] || runs=10

bench_error() {
    echo "VM-BENCH error $*" | tr '\n' ' '
    echo
    exit 1
}

# median CSV COMMAND: hyperfine's median seconds of COMMAND in its --export-csv file.
median() {
    awk -F, -v c="$2" '$1 == c { print $4 }' "$1"
}

# mapping_pages PID START NODE: pages on NODE of PID's mapping at START (numa_maps).
mapping_pages() {
    awk -v a="$2" -v k="N$3=" '$1 == a { for (i = 3; i <= NF; i++) if (index($i, k) == 1) { split($i, f, "="); n += f[2] } }
        END { print n + 0 }' "/proc/$1/numa_maps"
}

# --- migrate: privnuma migrate against migratepages, same move, fresh processes ---

pages=$((BENCH_MIB * 256))
round=1
while [ "$round" -le "$BENCH_MIGRATIONS" ]; do
    if [ $((round % 2)) = 1 ]; then tools="privnuma migratepages"; else tools="migratepages privnuma"; fi
    for tool in $tools; do
        out=/tmp/workload.out
        : > "$out"
        numactl -m 2 workload --hold "$BENCH_MIB" > "$out" 2> /tmp/workload.err &
        pid=$!
        i=0
        until grep -q '^start ' "$out"; do
            kill -0 "$pid" 2> /dev/null || bench_error "workload $BENCH_MIB on node 2 ended: $(cat /tmp/workload.err)"
            i=$((i + 1))
            [ "$i" -lt 600 ] || bench_error "workload $BENCH_MIB did not fill node 2 in 300 s"
            usleep 500000
        done
        start=$(field start "$(cat "$out")")
        before=$(mapping_pages "$pid" "$start" 2)
        [ "$before" = "$pages" ] || bench_error "workload $BENCH_MIB: $before of $pages pages on node 2 before the move"
        case $tool in
            privnuma) cmd="privnuma migrate $pid --from 2 --to 3" ;;
            migratepages) cmd="migratepages $pid 2 3" ;;
        esac
        hyperfine -N --runs 1 --export-csv /tmp/migrate.csv "$cmd" > /tmp/hyperfine.out 2>&1 ||
            bench_error "$cmd failed: $(tail -n 5 /tmp/hyperfine.out)"
        echo "VM-BENCH migrate $round $tool $(median /tmp/migrate.csv "$cmd") $pages" \
            "$(mapping_pages "$pid" "$start" 2) $(mapping_pages "$pid" "$start" 3)"
        kill "$pid"
        wait "$pid" 2> /dev/null
    done
    round=$((round + 1))
done

# --- launch: onto a cpuset-fenced node (the cgroup join) against numactl on it ---

fence_setup || bench_error "installing privnuma with setcap and the suite's registry failed"
[ "$APPLY_RC" = 0 ] || { fence_teardown; bench_error "fence apply exited $APPLY_RC: $APPLY_OUT"; }
general=$CG/privnuma-general
# Six more registry files (nodes this machine does not have) make the registry of 8.
extra() {
    for k in 4 5 6 7 8 9; do
        printf '[Node]\nId=%d\nLabel=bench%d\nKind=benchmark\nCapabilities=migration mempolicy\nAllowGroups=root\nCgroup=privnuma.slice/bench%d\nMinFree=1M\nDescription=bench node %d\n' \
            "$k" "$k" "$k" "$k" > "$REG/7$k-bench$k.conf"
    done
}
plain() { rm -f "$REG"/7?-bench?.conf; }

# in_cgroup DIR CMD...: CMD as alice, started in cgroup DIR.
in_cgroup() {
    sh -c 'echo $$ > "$1/cgroup.procs" && shift && exec run_as alice "$@"' - "$@"
}

# Each launch does what it says before it is timed: privnuma joins the opt-in cgroup.
for registry in plain extra; do
    $registry
    where=$(in_cgroup "$general" "$PN" -m cxl0 cat /proc/self/cgroup 2>&1)
    [ "$where" = 0::/privnuma.slice/cxl0 ] ||
        { fence_teardown; bench_error "alice's privnuma -m cxl0 from $general (registry: $(ls "$REG" | tr '\n' ' ')) ran in '$where', not 0::/privnuma.slice/cxl0"; }
done
plain
in_cgroup "$CG" numactl -m 2 /bin/true || { fence_teardown; bench_error "alice's numactl -m 2 true in the root cgroup failed"; }

round=1
while [ "$round" -le "$BENCH_ROUNDS" ]; do
    case $((round % 3)) in
        1) order="cpuset numactl cpuset8" ;;
        2) order="numactl cpuset8 cpuset" ;;
        0) order="cpuset8 cpuset numactl" ;;
    esac
    for what in $order; do
        case $what in
            cpuset | cpuset8)
                if [ "$what" = cpuset ]; then plain; else extra; fi
                cmd="$PN -m cxl0 /bin/true"
                in_cgroup "$general" hyperfine -N --warmup 5 --runs "$runs" --export-csv /tmp/launch.csv "$cmd" \
                    > /tmp/hyperfine.out 2>&1 || { fence_teardown; bench_error "hyperfine $cmd failed: $(tail -n 5 /tmp/hyperfine.out)"; }
                echo "VM-BENCH launch $round $what $(median /tmp/launch.csv "$cmd")" ;;
            numactl)
                in_cgroup "$CG" hyperfine -N --warmup 5 --runs "$runs" --export-csv /tmp/launch.csv \
                    "numactl -m 2 /bin/true" /bin/true > /tmp/hyperfine.out 2>&1 ||
                    { fence_teardown; bench_error "hyperfine numactl -m 2 true failed: $(tail -n 5 /tmp/hyperfine.out)"; }
                echo "VM-BENCH launch $round numactl $(median /tmp/launch.csv "numactl -m 2 /bin/true")"
                echo "VM-BENCH launch $round true $(median /tmp/launch.csv /bin/true)" ;;
        esac
    done
    round=$((round + 1))
done
plain
fence_teardown
exit 0
