# Isolation under load, with the fence applied (guest/fence.sh).  While
# general processes fill memory for about ten seconds -- memhog and
# `numactl --interleave=all memhog`, as root and as bob -- and alice's
# opted-in memhog runs on cxl0:
#   no anonymous page of a general process is on node 2 or 3 (numa_maps,
#   sampled every second or so), bob cannot reach node 2 even by asking
#   numactl for it, all of alice's anonymous pages stay on node 2, and `privnuma audit`
#   finds nothing (exit 0).
#
# cases: isolation-general isolation-opted-in isolation-numactl-cannot-reach
# cases: isolation-audit-clean

. /vm/fence.sh

have_privnuma isolation-general || exit 0
if ! fence_setup || [ "$APPLY_RC" != 0 ]; then
    fail isolation-general "setup failed (fence apply exit ${APPLY_RC:-?}): $APPLY_OUT"
    fence_teardown
    exit 0
fi

# Seconds since boot, whole.
now() { cut -d. -f1 /proc/uptime; }
began=$(now)

hog="memhog -r1000000"
pids=""
hogs=""        # NAME:PID:MIB ...
start() { # NAME MIB CMD...: start CMD in the background
    local name=$1 mib=$2
    shift 2
    "$@" </dev/null >/dev/null 2>&1 &
    # Niced, so that the checks get the CPU between the hogs' rounds of
    # memset (two emulated CPUs, five hogs); busybox has renice, not nice.
    renice -n 19 -p $! >/dev/null 2>&1
    pids="$pids $!"
    hogs="$hogs $name:$!:$mib"
}
start root-interleave 96 numactl --interleave=all $hog 96m
start root-default 64 $hog 64m
start bob-interleave 64 run_as bob numactl --interleave=all $hog 64m
start bob-default 48 run_as bob $hog 48m
start alice-cxl0 64 run_as alice "$PN" -q -m cxl0 $hog 64m
alice_pid=${hogs##* alice-cxl0:}
alice_pid=${alice_pid%%:*}

# "PID TOTAL ON2 ON3" for each running hog: pages of its anonymous mappings
# (numa_maps lines without file=), in all and on nodes 2 and 3.  One awk per
# sample: every process started costs time on an emulated machine.
sample() {
    local entry pid files=""
    for entry in $hogs; do
        pid=${entry#*:}
        pid=${pid%%:*}
        [ -r "/proc/$pid/numa_maps" ] && files="$files /proc/$pid/numa_maps"
    done
    [ -n "$files" ] || return 0
    awk '
        function flush() { if (pid != "") print pid, t, a, b }
        FNR == 1 { flush(); split(FILENAME, part, "/"); pid = part[3]; t = 0; a = 0; b = 0 }
        !/ file=/ { for (i = 2; i <= NF; i++) if ($i ~ /^N[0-9]+=/) {
            split(substr($i, 2), kv, "="); t += kv[2]
            if (kv[1] == 2) a += kv[2]; if (kv[1] == 3) b += kv[2] } }
        END { flush() }' $files 2>/dev/null
}

# hog_of PID: "NAME MIB" of a hog.
hog_of() {
    local entry
    for entry in $hogs; do
        case $entry in
            *:"$1":*) echo "${entry%%:*} ${entry##*:}"; return ;;
        esac
    done
}

# Wait until every hog has touched its memory (20 s at most).  95%: a hog is
# counted as filled once nearly all of its buffer is touched, as the first
# round of memset may still be under way when a sample is taken.
samples=$_T/samples
while [ $(($(now) - began)) -lt 20 ]; do
    sample > "$samples"
    ready=0
    while read -r pid total on2 on3; do
        set -- $(hog_of "$pid")
        [ "$total" -ge $(($2 * 256 * 95 / 100)) ] && ready=$((ready + 1))
    done < "$samples"
    [ "$ready" -ge 5 ] && break
    sleep 1
done
filled=$(now)

# Then about ten seconds of sampling, never past 40 s into the scenario, so
# that everything is cleaned up well within its time limit.
bad=""
alice_low=""
rounds=0
while [ $(($(now) - filled)) -lt 10 ] && [ $(($(now) - began)) -lt 40 ]; do
    rounds=$((rounds + 1))
    sample > "$samples"
    seen=0
    while read -r pid total on2 on3; do
        seen=$((seen + 1))
        set -- $(hog_of "$pid")
        if [ "$1" = alice-cxl0 ]; then
            # A bind never spills: every anonymous page is on node 2.
            [ "$on2" -eq "$total" ] || alice_low="$alice_low round$rounds:N2=$on2/$total"
        elif [ $((on2 + on3)) -ne 0 ]; then
            bad="$bad $1(round$rounds:N2=$on2,N3=$on3)"
        fi
    done < "$samples"
    [ "$seen" -eq 5 ] || bad="$bad round$rounds:only-$seen-of-5-hogs-running"
    sleep 1
done

echo "VM-INFO isolation-load: hogs filled in $((filled - began))s, then $rounds samples over $(($(now) - filled))s"
begin isolation-general
want "no sample taken (the hogs took $((filled - began))s to fill)" [ "$rounds" -gt 0 ]
want "general processes have pages on private nodes:$bad" [ -z "$bad" ]
end

begin isolation-opted-in
want "alice's memhog (--membind cxl0) had anonymous pages off node 2:$alice_low" [ -z "$alice_low" ]
want "alice's memhog is in '$(cat /proc/$alice_pid/cgroup 2>&1)', not the opt-in cgroup" \
    grep -qx '0::/privnuma.slice/cxl0' "/proc/$alice_pid/cgroup"
end

m=$(marker)
run run_as bob numactl --membind=2 workload 16 "$m"
begin isolation-numactl-cannot-reach
# numactl reports set_mempolicy's EINVAL (node 2 is outside bob's cpuset) and exits 1.
want_rc 1
want_no_marker "$m"
end

run "$PN" audit
if printf '%s' "$ERR" | grep -qi "not available"; then
    fail isolation-audit-clean "audit not available: $(printf '%s' "$ERR" | head -1)"
else
    begin isolation-audit-clean
    want_rc 0
    end
fi

for pid in $pids; do kill "$pid" 2>/dev/null; done
for pid in $pids; do wait "$pid" 2>/dev/null; done
fence_teardown
