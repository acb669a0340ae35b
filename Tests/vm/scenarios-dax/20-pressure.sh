# Nodes 0 and 1 under memory pressure with demotion enabled, node 2 onlined
# from dax0.0 behind a cpuset fence. First what the cpuset fence alone gives:
# kswapd demotes bob's pages onto node 2 although his cgroup's mems are 0-1
# (measured and reported). Then `fence apply` closes the demotion path: bob's
# pages stay off node 2 under the same pressure while alice's opted-in job
# fills it, and audit is clean.
#
# cases: dax-pressure-online dax-pressure-status-demotion dax-pressure-cpuset-alone dax-pressure-apply
# cases: dax-pressure-audit-finds dax-pressure-status-closed dax-pressure-reonline dax-pressure-fenced
# cases: dax-pressure-audit
. /vm/fence.sh
have_privnuma dax-pressure || exit 0
demotion=/sys/kernel/mm/numa/demotion_enabled
fence_registry
fence_setup
run privnuma online dax0.0
begin dax-pressure-online
want_rc 0
end

# The cpuset fence alone, demotion on.
echo true > $demotion
run privnuma fence status
begin dax-pressure-status-demotion
want_rc 1
want_out_has "leak path demotion"
end
# A little more than nodes 0 and 1 have free: kswapd must make room, and
# without swap demotion is its only way for anonymous pages. (Much more
# than that and the allocations outrun kswapd: the OOM killer ends the job.)
# The page cache is dropped first, or kswapd may meet the excess by dropping
# file pages and demote nothing; a second, larger try covers a run where
# reclaim still found enough.
for extra in 16 48; do
    sync
    echo 3 > /proc/sys/vm/drop_caches
    free_kb=$(awk '/MemFree/ {s += $4} END {print s}' /sys/devices/system/node/node0/meminfo /sys/devices/system/node/node1/meminfo)
    mib=$((free_kb / 1024 + extra))
    RUN_TIMEOUT=90 run run_as bob workload $mib
    leaked=$(pages_on 2)
    [ "$RC" = 0 ] && [ "$leaked" -gt 0 ] && break
done
echo "VM-MEASURE cpuset fence alone, demotion enabled: bob's workload of $mib MiB (cgroup mems $(cat $CG/privnuma-general/cpuset.mems.effective)) had $leaked of $(total_pages) pages on node 2 (rc $RC)"
begin dax-pressure-cpuset-alone
want "bob's workload should have run (rc $RC): $ERR" [ "$RC" = 0 ]
want "the measurement needs pages demoted: none of bob's pages reached node 2" [ "$leaked" -gt 0 ]
end

# The demoted pages stay on node 2 after their owners' workload ended (the
# scenario's own shells, for one): audit names them.
run privnuma audit
echo "VM-MEASURE cpuset fence alone: after the pressure, audit found $(echo "$OUT" | sed -n 's/^violations: \([0-9]*\).*/\1/p') process(es) outside the opt-in cgroups with pages on node 2"
begin dax-pressure-audit-finds
want_rc 1
want_out_has "not in the opt-in cgroup"
end

# fence apply closes the demotion path.
run privnuma fence apply
begin dax-pressure-apply
want_rc 0
want_out_has "disabled demotion"
want "demotion should be off: $(cat $demotion)" [ "$(cat $demotion)" = false ]
end
run privnuma fence status
begin dax-pressure-status-closed
want_rc 0
end
# A clean node for the second half: offlining migrates the demoted pages back.
run privnuma offline dax0.0
begin dax-pressure-reonline
want_rc 0
run privnuma online dax0.0
want_rc 0
end

# Alice's job fills node 2 while bob presses on nodes 0 and 1.
run_as alice "$PN" -m cxl0 workload 400 > /tmp/alice.out 2>&1 &
alice=$!
free_kb=$(awk '/MemFree/ {s += $4} END {print s}' /sys/devices/system/node/node0/meminfo /sys/devices/system/node/node1/meminfo)
mib=$((free_kb / 1024 - 96))
RUN_TIMEOUT=90 run run_as bob workload $mib
wait $alice
alice_out=$(cat /tmp/alice.out)
echo "VM-MEASURE fence apply: bob's workload of $mib MiB had $(pages_on 2) of $(total_pages) pages on node 2 (rc $RC); alice's opted-in job had $(pages_on 2 "$alice_out") of $(total_pages "$alice_out") on node 2"
begin dax-pressure-fenced
want "bob's workload should have run (rc $RC): $ERR" [ "$RC" = 0 ]
want_none 2
want "alice's job should fill node 2: $(pages_on 2 "$alice_out") pages" [ "$(pages_on 2 "$alice_out")" -ge 95000 ]
end
run privnuma audit
begin dax-pressure-audit
want "audit should be clean (rc $RC): $OUT" [ "$RC" = 0 ]
want_out_has "violations: none"
end
privnuma offline dax0.0 >/dev/null 2>&1
fence_teardown
