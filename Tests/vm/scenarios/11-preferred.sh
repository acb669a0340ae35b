# MPOL_PREFERRED on the memory-only node 3: privnuma -p 3 and numactl -p 3.
#
# cases: privnuma-preferred numactl-preferred

for tool in privnuma numactl; do
    name=$tool-preferred
    [ "$tool" = numactl ] || have_privnuma "$name" || continue
    run $tool -p 3 workload 64
    begin "$name"
    want_rc 0
    want_policy prefer:3
    want_all 3
    note "$(_counts)"
    end
done
