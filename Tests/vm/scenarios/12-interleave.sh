# MPOL_INTERLEAVE over all four nodes: privnuma -i 0-3 and numactl -i 0-3.
# Each node gets an even quarter of the pages, within 10%.

for tool in privnuma numactl; do
    name=$tool-interleave
    [ "$tool" = numactl ] || have_privnuma "$name" || continue
    run $tool -i 0-3 workload 64
    begin "$name"
    want_rc 0
    want_policy interleave:0-3
    want_even 0-3 10
    end
done
