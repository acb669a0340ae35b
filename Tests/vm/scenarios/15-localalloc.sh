# MPOL_LOCAL: privnuma -l and numactl -l.  The launcher is pinned to cpu 1
# with taskset (inherited through exec), so "local" means node 1, not the
# default node 0, and the test does not depend on where the scheduler puts
# the process.
#
# cases: privnuma-localalloc numactl-localalloc

node=$(node_of_cpu 1)
for tool in privnuma numactl; do
    name=$tool-localalloc
    [ "$tool" = numactl ] || have_privnuma "$name" || continue
    run taskset -c 1 $tool -l workload 64
    begin "$name"
    want_rc 0
    want_policy local
    want "cpu 1 should be on node 1, sysfs says node $node" [ "$node" = 1 ]
    want_all "$node"
    note "$(_counts)"
    end
done
