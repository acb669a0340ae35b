# numactl's command lines through both tools (scenarios 80-82): each row runs
# once as `numactl OPTIONS COMMAND` and once as `privnuma OPTIONS COMMAND`.
# Compared: success or failure (privnuma's exit codes are finer, so only
# zero/non-zero), and on success the policy string, the allowed CPUs and the
# share of pages per node (within 10 points) of what the command reports:
#
#   @W   workload 2: its own policy, CPUs and placement
#   @F   a tmpfs file (a fresh one per tool); placement read afterwards by
#        `workload --map @F`, which faults the file in and reads numa_maps
#   @H   the same in hugetlbfs (mounted at /tmp/huge)
#   @K   a System V key file; placement read by `workload --shm @K [ID]`
#   rows ending in -s/--show compare the policy lines of the two shows;
#   rows with --dump/--dump-nodes, and other commands, compare stdout
#
# Rows (stdin of numactl_table): name | expectation | setup | options and
# command.  The expectation is "same", or where privnuma deliberately differs
# (a numactl bug) "privnuma=POLICY [Nn=P%...]": the policy privnuma must give
# and the shares of pages it must leave (numactl's result is shown).  The
# setup, if any, runs first with the same tool.  Each row is one case,
# numactl-table-NAME, whose note shows both results (a failure with the first
# line of its message).
#
# Rows on a segment or file run the tool and the reader on CPU 0: pages no
# range policy covers, and those of -l, go to the node of the CPU that faults
# them in, which would otherwise be the scheduler's choice.

W="workload 2"
n=${n:-0}

# The policy, CPUs and per-node percentages of a workload report, one line.
summary() {
    printf '%s\n' "$1" | awk '
        $1 == "policy" { sub(/^policy /, ""); policy = $0 }
        $1 == "cpus" { cpus = $2 }
        $1 ~ /^N[0-9]+$/ { n[$1] = $2; total += $2; order[++k] = $1 }
        END {
            printf "policy=%s cpus=%s", policy, cpus
            for (i = 1; i <= k; i++) if (total > 0) printf " %s=%d%%", order[i], int(n[order[i]] * 100 / total + 0.5)
        }'
}

# Percent of pages on each node 0-3, space separated.
shares() {
    printf '%s\n' "$1" | awk '
        $1 ~ /^N[0-9]+$/ { n[substr($1, 2)] = $2; total += $2 }
        END { for (i = 0; i < 4; i++) printf "%d ", (total > 0 ? int(n[i] * 100 / total) : 0) }'
}

# show's policy lines, without "preferred node" (for interleave it is the
# next node, which moves as the process allocates).
show_lines() {
    printf '%s\n' "$1" | grep -E '^(policy|physcpubind|cpubind|nodebind|membind|preferred):' | sed 's/ *$//'
}

# run_row TOOL SETUP ARGS: run one row with TOOL; sets R_RC, R_OUT, R_KIND.
run_row() {
    local tool=$1 setup=$2 args=$3 f k h
    f=/dev/shm/tbl-$tool-$n
    h=/tmp/huge/tbl-$tool-$n
    k=/tmp/tblkey-$tool-$n
    rm -f "$f" "$h" "$k"
    local pin=
    case $args in *@F*|*@H*|*@K*) pin="taskset 1" ;; esac
    args=$(printf '%s' "$args" | sed "s|@F|$f|g; s|@H|$h|g; s|@K|$k|g; s|@W|$W|g")
    setup=$(printf '%s' "$setup" | sed "s|@F|$f|g; s|@H|$h|g; s|@K|$k|g")
    if [ -n "$setup" ]; then
        eval "set -- $setup"
        run $pin "$tool" "$@"
        [ "$RC" -eq 0 ] || { R_RC=$RC; R_OUT="setup failed: $ERR"; R_KIND=setup; return; }
    fi
    eval "set -- $args"
    run $pin "$tool" "$@"
    R_RC=$RC
    R_OUT=$OUT
    R_ERR=$ERR
    R_KIND=output
    case $args in
        *workload*) R_KIND=workload ;;
    esac
    # Where the policy went into shared memory, read the placement it left.
    local id
    id=$(printf '%s' "$args" | sed -n 's/.*--shmid \([0-9]*\).*/\1/p')
    case $args in
        *--dump*) ;;
        *"$h"*|*"$f"*|*"$k"*)
            if [ "$R_RC" -eq 0 ]; then
                case $args in
                    *"$h"*) run $pin workload --map "$h" ;;
                    *"$f"*) run $pin workload --map "$f" ;;
                    *) run $pin workload --shm "$k" ${id:-0} ;;
                esac
                R_OUT="$OUT$ERR"
                R_KIND=workload
            fi ;;
    esac
    case $args in *-s|*--show) R_KIND=show ;; esac
}

describe() {
    if [ "$1" -ne 0 ]; then echo "fails (exit $1: $(printf '%s' "$4" | head -n 1 | cut -c 1-100))"; return; fi
    case $2 in
        workload) summary "$3" ;;
        show) show_lines "$3" | tr '\n' ';' ;;
        *) printf '%s' "$3" | head -c 80 | tr '\n' ';' ;;
    esac
}

table_row() {
    local name=$1 expect=$2 setup=$3 args=$4
    n=$((n + 1))
    local case=numactl-table-$name
    if ! have_privnuma "$case"; then return; fi
    run_row numactl "$setup" "$args"
    local n_rc=$R_RC n_out=$R_OUT n_kind=$R_KIND n_err=$R_ERR
    run_row privnuma "$setup" "$args"
    local p_rc=$R_RC p_out=$R_OUT p_kind=$R_KIND p_err=$R_ERR
    local note="numactl $args: numactl $(describe "$n_rc" "$n_kind" "$n_out" "$n_err") | privnuma $(describe "$p_rc" "$p_kind" "$p_out" "$p_err")"
    local why=""
    case $expect in
        privnuma=*)
            [ "$p_rc" -eq 0 ] || why="privnuma failed: $p_err"
            if [ -z "$why" ]; then
                set -- ${expect#privnuma=}
                [ "$(field policy "$p_out")" = "$1" ] || why="privnuma's policy is $(field policy "$p_out"), want $1"
                shift
                local token
                for token; do
                    case " $(summary "$p_out") " in
                        *" $token "*) ;;
                        *) why="$why; privnuma's pages are not $token" ;;
                    esac
                done
            fi ;;
        *)
            if [ "$n_rc" -eq 0 ] && [ "$p_rc" -ne 0 ]; then
                why="numactl succeeds, privnuma fails: $p_err"
            elif [ "$n_rc" -ne 0 ] && [ "$p_rc" -eq 0 ]; then
                why="numactl fails, privnuma succeeds"
            elif [ "$n_rc" -eq 0 ]; then
                case $n_kind in
                    workload)
                        [ "$(field policy "$n_out")" = "$(field policy "$p_out")" ] || why="policy differs"
                        [ "$(field cpus "$n_out")" = "$(field cpus "$p_out")" ] || why="$why; CPUs differ"
                        local a b i=0 da
                        set -- $(shares "$p_out")
                        for a in $(shares "$n_out"); do
                            i=$((i + 1))
                            eval "b=\${$i}"
                            da=$((a - b))
                            [ "$da" -lt 0 ] && da=$((-da))
                            [ "$da" -le 10 ] || why="$why; node $((i - 1)) has $a% with numactl, $b% with privnuma"
                        done ;;
                    show)
                        [ "$(show_lines "$n_out")" = "$(show_lines "$p_out")" ] || why="show differs" ;;
                    *)
                        [ "$n_out" = "$p_out" ] || why="output differs" ;;
                esac
            fi ;;
    esac
    if [ -z "$why" ]; then pass "$case" "$note"; else fail "$case" "${why#; } -- $note"; fi
    # Free the row's files now: huge pages are few, and a later row must find its node's pool.
    rm -f /dev/shm/tbl-*-$n /tmp/huge/tbl-*-$n
}

# Reads the rows from stdin.
numactl_table() {
    local name expect setup args
    while IFS='|' read -r name expect setup args; do
        case $name in ''|'#'*) continue ;; esac
        table_row "$(echo $name)" "$(echo $expect)" "$(echo $setup)" "$(echo "$args" | sed 's/^ *//; s/ *$//')"
    done
}

# hugetlbfs and a pool of huge pages for the @H rows and --huge; put back by
# numactl_table_cleanup.
numactl_table_hugepages() {
    mkdir -p /tmp/huge
    mount -t hugetlbfs none /tmp/huge || echo "VM-WARN cannot mount hugetlbfs"
    old_huge=$(cat /proc/sys/vm/nr_hugepages)
    echo 24 > /proc/sys/vm/nr_hugepages
}

numactl_table_cleanup() {
    rm -f /dev/shm/tbl-* /tmp/huge/tbl-* /tmp/tblkey-*
    # The segments the rows created.
    local id
    for id in $(ipcs -m 2>/dev/null | awk '$2 ~ /^[0-9]+$/ { print $2 }'); do ipcrm -m "$id" 2>/dev/null; done
    if [ -n "${old_huge:-}" ]; then
        umount /tmp/huge 2>/dev/null
        echo "$old_huge" > /proc/sys/vm/nr_hugepages
    fi
}
