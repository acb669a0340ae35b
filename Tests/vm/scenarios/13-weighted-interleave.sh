# MPOL_WEIGHTED_INTERLEAVE (Linux 6.9+): privnuma -w 0-3.
#
# On a kernel without it (the guest runs 6.1) privnuma must refuse before
# running anything: exit 1, a message that names 6.9.  On a kernel with it,
# the pages must follow the weights in
# /sys/kernel/mm/mempolicy/weighted_interleave/nodeN (within 10%).
# numactl 2.0.16 has no weighted interleave, so there is no comparison.

wdir=/sys/kernel/mm/mempolicy/weighted_interleave
name=privnuma-weighted-interleave
if have_privnuma "$name"; then
    m=$(marker)
    run privnuma -w 0-3 workload 64 "$m"
    begin "$name"
    if [ -d "$wdir" ]; then
        want_rc 0
        want_policy "weighted interleave:0-3"
        total=$(total_pages)
        wsum=0
        for n in 0 1 2 3; do wsum=$((wsum + $(cat "$wdir/node$n"))); done
        for n in 0 1 2 3; do
            w=$(cat "$wdir/node$n")
            expect=$((total * w / wsum))
            got=$(pages_on "$n")
            lo=$((expect * 90 / 100))
            hi=$((expect * 110 / 100 + 1))
            want "node $n: want about $expect pages (weight $w of $wsum), got $got" \
                [ "$got" -ge "$lo" -a "$got" -le "$hi" ]
        done
    else
        want_rc 1
        want_err_has "6.9"
        want_err_has "^privnuma:"
        want_no_marker "$m"
    fi
    end
fi
