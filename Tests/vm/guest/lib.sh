# Helpers for the VM scenarios (busybox sh).  Sourced before each file of
# /vm/scenarios; documented in Tests/vm/README.md.
#
# Verdicts
#   pass NAME [NOTE]            report test case NAME as passed
#   fail NAME REASON            report test case NAME as failed
#
# Running things
#   run CMD [ARGS...]           run CMD (time limit $RUN_TIMEOUT s), set
#                               RC, OUT (stdout), ERR (stderr), CMD (words)
#   run_as USER CMD [ARGS...]   an executable: CMD as USER (use with run:
#                               run run_as alice privnuma -m 2 workload 64)
#   marker                      a fresh path for workload's marker file
#
# Reading workload output (default: $OUT)
#   field KEY [OUTPUT]          the value of a "KEY value" line
#   pages_on NODE [OUTPUT]      pages of the mapping on NODE (0 if none)
#   pages_on_set NODES [OUTPUT] sum over a node list (0,2-3)
#   total_pages [OUTPUT]        pages of the mapping on all nodes
#
# Reading the last `run`'s JSON document (jsonq)
#   j [-n] PATH                 the value at PATH (-n: how many elements)
#   step_where MEMBER VALUE...  index of the first of its `steps` whose
#                               members have these values (fence apply or
#                               remove --json); false when none has
#   step_outcomes               the outcomes of its steps, each once, sorted
#
# Test cases built from expectations about the last `run`
#   begin NAME                  start a test case
#   want_rc N                   exit status N
#   want_policy STRING          numa_maps policy string exactly STRING
#   want_share NODES PCT        at least PCT% of the pages on NODES
#   want_all NODES              every page on NODES (a bind never spills)
#   want_none NODES             no page on NODES
#   want_even NODES PCT         every node of NODES within PCT% of an even share
#   want_cpu CPU                ran on CPU and was allowed only CPU
#   want_err_has TEXT           stderr contains TEXT (case-insensitive)
#   want_err_lacks TEXT         stderr does not contain TEXT
#   want_out_has TEXT           stdout contains TEXT (case-insensitive)
#   want_no_marker PATH         PATH does not exist (the command never ran)
#   want TEXT-IF-FALSE TEST...  any shell test; TEXT is the failure reason
#   note TEXT                   what the case observed, shown with its PASS
#                               (Tests/vm/kernels compares notes across kernels)
#   end                         report PASS, or FAIL with every unmet want
#
# Machine facts
#   node_of_cpu CPU             the node CPU belongs to
#   reachers NODE CGROUP        "pid:cgroup" of every user process outside
#                               CGROUP (and below) whose Mems_allowed has NODE:
#                               the fence as the kernel enforces it, read from
#                               /proc without privnuma
#   holders NODE [CGROUP]       "pid:cgroup" of every process with pages on NODE
#                               in its numa_maps (outside CGROUP, if given)
#   expand_list LIST            "0,2-3" -> "0 2 3"
#   have_privnuma NAME          false (and a FAIL for NAME) if the binary is missing

RUN_TIMEOUT=${RUN_TIMEOUT:-30}
_T=$(mktemp -d /tmp/scn.XXXXXX)

# --- verdicts -------------------------------------------------------------

# One line per verdict; newlines in the reason are folded so the host sees
# one line.
pass() {
    echo "VM-RESULT $1 PASS ${2:-}"
    echo "$1 PASS" >> /tmp/results
}

fail() {
    local name=$1
    shift
    local reason
    reason=$(printf '%s' "$*" | tr '\n' ' ' | sed 's/  */ /g')
    echo "VM-RESULT $name FAIL $reason"
    echo "$name FAIL" >> /tmp/results
}

# --- running --------------------------------------------------------------

run() {
    CMD="$*"
    timeout -s KILL "$RUN_TIMEOUT" "$@" > "$_T/out" 2> "$_T/err"
    RC=$?
    OUT=$(cat "$_T/out")
    ERR=$(cat "$_T/err")
    [ "$RC" -eq 137 ] && ERR="$ERR (killed: time limit of ${RUN_TIMEOUT}s or signal)"
    return 0
}

_marker_n=0
marker() {
    _marker_n=$((_marker_n + 1))
    local m="/tmp/marker.$$.$_marker_n"
    rm -f "$m"
    echo "$m"
}

have_privnuma() {
    if [ -x /usr/bin/privnuma ]; then
        return 0
    fi
    fail "$1" "privnuma binary missing (the host had none to put in the guest; run make build)"
    return 1
}

# --- reading workload output ---------------------------------------------

field() {
    printf '%s\n' "${2-$OUT}" | awk -v k="$1" '$1 == k { sub(/^[^ ]+ /, ""); print; exit }'
}

pages_on() {
    printf '%s\n' "${2-$OUT}" | awk -v k="N$1" '$1 == k { n = $2 } END { print n + 0 }'
}

pages_on_set() {
    local sum=0 n
    for n in $(expand_list "$1"); do
        sum=$((sum + $(pages_on "$n" "${2-$OUT}")))
    done
    echo "$sum"
}

total_pages() {
    printf '%s\n' "${1-$OUT}" | awk '$1 ~ /^N[0-9]+$/ { n += $2 } END { print n + 0 }'
}

# "N0=… N2=…" summary of the last workload run, for failure reasons.
_counts() {
    printf '%s\n' "${1-$OUT}" | awk '$1 ~ /^N[0-9]+$/ { printf "%s%s=%s", s, $1, $2; s = " " } END { if (!s) printf "no page counts" }'
}

# --- reading JSON output -------------------------------------------------

j() { jsonq "$@" < "$_T/out" 2>/dev/null; }

step_where() {
    local n i=0 ok member word
    n=$(j -n steps)
    while [ "$i" -lt "${n:-0}" ]; do
        ok=1 member=
        for word in "$@"; do
            if [ -z "$member" ]; then member=$word; continue; fi
            [ "$(j "steps.$i.$member")" = "$word" ] || ok=0
            member=
        done
        [ "$ok" = 1 ] && { echo "$i"; return 0; }
        i=$((i + 1))
    done
    return 1
}

step_outcomes() {
    local n i=0
    n=$(j -n steps)
    while [ "$i" -lt "${n:-0}" ]; do j "steps.$i.outcome"; i=$((i + 1)); done | sort -u | tr '\n' ' '
}

# --- machine facts --------------------------------------------------------

expand_list() {
    echo "$1" | tr ',' '\n' | awk -F- 'NF == 1 && $1 != "" { print $1 } NF == 2 { for (i = $1; i <= $2; i++) print i }' | tr '\n' ' ' | sed 's/ $//'
}

node_of_cpu() {
    local d
    for d in /sys/devices/system/cpu/cpu"$1"/node*; do
        [ -e "$d" ] && { basename "$d" | sed 's/^node//'; return; }
    done
    echo "?"
}

reachers() {
    local st pid cg mems n
    for st in /proc/[0-9]*/status; do
        # Kernel threads have no memory of their own (no VmSize line).
        grep -q '^VmSize:' "$st" 2>/dev/null || continue
        pid=${st#/proc/}
        pid=${pid%/status}
        cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup" 2>/dev/null)
        case $cg in "$2" | "$2"/*) continue ;; esac
        mems=$(sed -n 's/^Mems_allowed_list:[[:space:]]*//p' "$st" 2>/dev/null)
        for n in $(expand_list "$mems"); do
            [ "$n" = "$1" ] && { echo "$pid:$cg"; break; }
        done
    done | tr '\n' ' ' | sed 's/ $//'
}

holders() {
    local maps pid cg
    for maps in /proc/[0-9]*/numa_maps; do
        grep -q " N$1=" "$maps" 2>/dev/null || continue
        pid=${maps#/proc/}
        pid=${pid%/numa_maps}
        cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup" 2>/dev/null)
        if [ -n "${2:-}" ]; then
            case $cg in "$2" | "$2"/*) continue ;; esac
        fi
        echo "$pid:$cg"
    done | tr '\n' ' ' | sed 's/ $//'
}

# --- test cases from expectations -----------------------------------------

begin() {
    _case=$1
    _why=""
    _note=""
}

note() {
    _note="${_note:+$_note; }$*"
}

_unmet() {
    _why="${_why:+$_why; }$*"
}

# A compact description of the last run, for failure reasons.
_ran() {
    local e
    e=$(printf '%s' "$ERR" | tr '\n' ' ' | cut -c1-300)
    echo "[$CMD -> exit $RC${e:+, stderr: $e}]"
}

want_rc() {
    [ "$RC" = "$1" ] || _unmet "want exit $1, got $RC"
}

want_policy() {
    local got
    got=$(field policy)
    [ "$got" = "$1" ] || _unmet "want policy '$1', got '${got:-none}'"
}

want_share() {
    local on total
    on=$(pages_on_set "$1")
    total=$(field pages)
    total=${total:-0}
    if [ "$total" -eq 0 ] || [ $((on * 100)) -lt $(($2 * total)) ]; then
        _unmet "want >=$2% of ${total} pages on node(s) $1, got $on ($(_counts))"
    fi
}

# Every page of the mapping on NODES: for policies the kernel never spills.
want_all() {
    local on total
    on=$(pages_on_set "$1")
    total=$(field pages)
    total=${total:-0}
    if [ "$total" -eq 0 ] || [ "$on" -ne "$total" ]; then
        _unmet "want all ${total} pages on node(s) $1, got $on ($(_counts))"
    fi
}

want_none() {
    local on
    on=$(pages_on_set "$1")
    [ "$on" -eq 0 ] || _unmet "want no page on node(s) $1, got $on ($(_counts))"
}

want_even() {
    local nodes n k total on lo hi bad=""
    nodes=$(expand_list "$1")
    k=$(echo "$nodes" | wc -w)
    total=$(total_pages)
    if [ "$total" -eq 0 ]; then
        _unmet "want pages spread evenly over $1, got no page counts"
        return
    fi
    # even = total/k; allowed: even*(100-PCT)/100 .. even*(100+PCT)/100
    lo=$((total * (100 - $2) / (100 * k)))
    hi=$(((total * (100 + $2) + 100 * k - 1) / (100 * k)))
    for n in $nodes; do
        on=$(pages_on "$n")
        if [ "$on" -lt "$lo" ] || [ "$on" -gt "$hi" ]; then bad="$bad N$n=$on"; fi
    done
    [ -z "$bad" ] || _unmet "want each of nodes $1 within $2% of $((total / k)) pages ($lo..$hi), got$bad ($(_counts))"
}

want_cpu() {
    local cpu cpus
    cpu=$(field cpu)
    cpus=$(field cpus)
    [ "$cpu" = "$1" ] && [ "$cpus" = "$1" ] ||
        _unmet "want to run on cpu $1 only, ran on cpu '${cpu:-?}' allowed '${cpus:-?}'"
}

want_err_has() {
    printf '%s' "$ERR" | grep -qi -- "$1" || _unmet "want stderr to mention '$1'"
}

want_err_lacks() {
    if printf '%s' "$ERR" | grep -qi -- "$1"; then _unmet "stderr should not mention '$1'"; fi
}

want_out_has() {
    printf '%s' "$OUT" | grep -qi -- "$1" || _unmet "want output to mention '$1'"
}

want_no_marker() {
    [ ! -e "$1" ] || _unmet "the command ran although it should have been refused"
}

want() {
    local why=$1
    shift
    "$@" || _unmet "$why"
}

end() {
    if [ -z "$_why" ]; then
        pass "$_case" "$_note"
    else
        fail "$_case" "$_why $(_ran)"
    fi
}
