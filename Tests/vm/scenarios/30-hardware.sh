# privnuma --hardware against the guest's sysfs, and numactl --hardware as a
# second reference.  The text layout is numactl's:
#
#   available: 4 nodes (0-3)
#   node 0 cpus: 0
#   node 0 size: 479 MB
#   node 0 free: 431 MB
#   ...
#   node distances:
#   node   0   1   2   3
#     0:  10  21  30  40
#
# Checked: the node list, the cpus of each node, each size equal to
# nodeN/meminfo MemTotal in MB, a free line per node, and the distance table.
# Lines the tool adds beyond these (weights, private-node marks) are ignored.
#
# cases: numactl-hardware privnuma-hardware privnuma-hardware-matches-numactl
# cases: privnuma-hardware-subcommand privnuma-hardware-json

sysnode=/sys/devices/system/node
online=$(cat $sysnode/online)
nodes=$(expand_list "$online")
count=$(echo "$nodes" | wc -w)

# The expected facts, from sysfs.
sys_cpus() { expand_list "$(cat $sysnode/node$1/cpulist)"; }
sys_mb() { awk '/MemTotal:/ { print int($4 / 1024) }' $sysnode/node$1/meminfo; }
sys_dist() { cat $sysnode/node$1/distance; }

# check_hardware_text NAME: compare $OUT (a --hardware listing) with sysfs.
check_hardware_text() {
    local n line got want mb
    begin "$1"
    want_rc 0
    line="available: $count nodes ($online)"
    want "want a line '$line'" grep -qxF "$line" "$_T/out"
    for n in $nodes; do
        # "node 0 cpus: 0" ; a memory-only node has "node 2 cpus:" and nothing
        got=$(sed -n "s/^node $n cpus:[[:space:]]*//p" "$_T/out" | sed 's/[[:space:]]*$//' | head -n1)
        want="$(sys_cpus "$n")"
        if grep -q "^node $n cpus:" "$_T/out"; then
            want "node $n cpus: want '$want', got '$got'" [ "$got" = "$want" ]
        else
            want "no line 'node $n cpus:'" false
        fi
        got=$(sed -n "s/^node $n size: *\([0-9][0-9]*\) MB.*/\1/p" "$_T/out" | head -n1)
        mb=$(sys_mb "$n")
        if [ -z "$got" ]; then
            want "no line 'node $n size: N MB'" false
        else
            # Exact: a node's MemTotal does not change while nothing is
            # hot-plugged, and both sides truncate kB to MB.
            want "node $n size: want $mb MB (MemTotal of node $n), got $got MB" [ "$got" = "$mb" ]
        fi
        want "no line 'node $n free: N MB'" grep -q "^node $n free: *[0-9][0-9]* MB" "$_T/out"
    done
    # The distance table: the rows "  N:  d0 d1 ..." after "node distances:".
    if grep -q '^node distances:' "$_T/out"; then
        for n in $nodes; do
            got=$(sed -n '/^node distances:/,$p' "$_T/out" |
                  awk -v n="$n" '$1 == n":" { $1 = ""; sub(/^ /, ""); print; exit }')
            want="$(sys_dist "$n")"
            want "distances from node $n: want '$want', got '${got:-no row}'" [ "$got" = "$want" ]
        done
    else
        want "no 'node distances:' table" false
    fi
    end
}

run numactl --hardware
check_hardware_text numactl-hardware
numactl_out=$OUT

if have_privnuma privnuma-hardware; then
    run privnuma --hardware
    check_hardware_text privnuma-hardware
    # The same listing as numactl for the lines both print, sizes aside
    # ("free" moves between the two runs).
    begin privnuma-hardware-matches-numactl
    for pat in '^available:' '^node [0-9]* cpus:' '^node distances:' '^ *[0-9]*:' '^node  *[0-9 ]*$'; do
        a=$(printf '%s\n' "$numactl_out" | grep -- "$pat" | sed 's/[[:space:]]*$//')
        b=$(printf '%s\n' "$OUT" | grep -- "$pat" | sed 's/[[:space:]]*$//')
        want "lines '$pat' differ: numactl '$(echo $a)' privnuma '$(echo $b)'" [ "$a" = "$b" ]
    done
    end

    run privnuma hardware
    check_hardware_text privnuma-hardware-subcommand
fi

# JSON (schema privnuma.hardware/N), read with jsonq: a valid document whose
# "available" list, and per node "id", "cpus", "memory_total" (bytes, exactly
# MemTotal), "memory_free" (at most the total) and "distances" (an
# object keyed by node id) match sysfs.
if have_privnuma privnuma-hardware-json; then
    run privnuma --hardware --json
    begin privnuma-hardware-json
    want_rc 0
    j() { jsonq "$@" < "$_T/out" 2>/dev/null; }
    if ! jsonq < "$_T/out" > /dev/null 2> "$_T/jerr"; then
        want "not valid JSON: $(cat "$_T/jerr")" false
    else
        got=$(j schema)
        want "schema: want privnuma.hardware/N, got '$got'" \
            sh -c 'case $1 in privnuma.hardware/[0-9]*) exit 0;; esac; exit 1' - "$got"
        got=$(j available)
        want "available: want [$nodes], got [$got]" [ "$got" = "$nodes" ]
        k=0
        count_json=$(j -n nodes)
        want "nodes: want $count entries, got ${count_json:-none}" [ "${count_json:-0}" = "$count" ]
        while [ "$k" -lt "${count_json:-0}" ]; do
            n=$(j nodes.$k.id)
            p="nodes[$k] (id ${n:-none})"
            if [ -z "$n" ] || [ ! -d "$sysnode/node$n" ]; then
                want "$p: no such node in sysfs" false
                k=$((k + 1))
                continue
            fi
            got=$(j nodes.$k.cpus)
            want "$p cpus: want [$(sys_cpus "$n")], got [$got]" [ "$got" = "$(sys_cpus "$n")" ]
            total=$(j nodes.$k.memory_total)
            free=$(j nodes.$k.memory_free)
            kb=$(awk '/MemTotal:/ { print $4 }' $sysnode/node$n/meminfo)
            if [ -z "$total" ] || [ -z "$kb" ]; then
                want "$p memory_total: missing" false
            else
                # Exact: MemTotal does not change while nothing is hot-plugged.
                want "$p memory_total: want $((kb * 1024)) bytes (MemTotal), got $total" [ "$total" = $((kb * 1024)) ]
            fi
            ok=0
            if [ -n "$free" ] && [ "$free" -ge 0 ] 2>/dev/null && [ "$free" -le "${total:-0}" ] 2>/dev/null; then
                ok=1
            fi
            want "$p memory_free: want a number of bytes <= memory_total, got '$free'" [ "$ok" = 1 ]
            dist=""
            for m in $nodes; do dist="$dist $(j nodes.$k.distances.$m)"; done
            dist=${dist# }
            want "$p distances: want '$(sys_dist "$n")', got '$dist'" [ "$dist" = "$(sys_dist "$n")" ]
            k=$((k + 1))
        done
    fi
    end
fi
