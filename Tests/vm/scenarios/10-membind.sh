# MPOL_BIND to the memory-only node 2: privnuma -m 2 and numactl -m 2.
# Every touched page must be on node 2 (all of them: the kernel never spills a bind) and numa_maps must say bind:2.
#
# cases: privnuma-membind numactl-membind privnuma-membind-long

for tool in privnuma numactl; do
    name=$tool-membind
    [ "$tool" = numactl ] || have_privnuma "$name" || continue
    run $tool -m 2 workload 64
    begin "$name"
    want_rc 0
    want_policy bind:2
    want_all 2
    note "$(_counts)"
    end
done

# The long spelling, numactl style.
if have_privnuma privnuma-membind-long; then
    run privnuma --membind=2 workload 64
    begin privnuma-membind-long
    want_rc 0
    want_policy bind:2
    want_all 2
    note "$(_counts)"
    end
fi
