# MPOL_WEIGHTED_INTERLEAVE (Linux 6.9+): privnuma -w 0-3.
#
# On a kernel without it (Debian 12's 6.1) privnuma must refuse before
# running anything: exit 1, a message that names 6.9.  On a kernel with it
# (Debian 12's 6.12) the weights are first set to 4:1:2:1 in
# /sys/kernel/mm/mempolicy/weighted_interleave/nodeN, so that pages that
# followed plain interleave (1:1:1:1) or any other weights would be caught;
# each node must then hold its weight's share of the pages.
# numactl 2.0.16 has no weighted interleave, so there is no comparison.
#
# cases: privnuma-weighted-interleave

wdir=/sys/kernel/mm/mempolicy/weighted_interleave
name=privnuma-weighted-interleave
if have_privnuma "$name"; then
    if [ -d "$wdir" ]; then
        for pair in 0:4 1:1 2:2 3:1; do
            echo "${pair#*:}" > "$wdir/node${pair%:*}" ||
                { fail "$name" "cannot write weight ${pair#*:} to $wdir/node${pair%:*}"; exit 0; }
        done
    fi
    m=$(marker)
    run privnuma -w 0-3 workload 64 "$m"
    begin "$name"
    if [ -d "$wdir" ]; then
        want_rc 0
        want_policy "weighted interleave:0-3"
        total=$(total_pages)
        wsum=0
        for n in 0 1 2 3; do wsum=$((wsum + $(cat "$wdir/node$n"))); done
        want "weights read back as sum $wsum, want 8 (4:1:2:1)" [ "$wsum" = 8 ]
        want "no page counts" [ "$total" -gt 0 ]
        for n in 0 1 2 3; do
            w=$(cat "$wdir/node$n")
            expect=$((total * w / wsum))
            got=$(pages_on "$n")
            # Tolerance: 1% of all pages, for rounding (the weighted sequence
            # starts wherever the task's last allocation left it) and any
            # allocation the kernel makes for the task while it touches the
            # mapping (a page table) taking a turn in the same sequence.
            slack=$((total / 100))
            want "node $n: want $expect pages (weight $w of $wsum, +-$slack), got $got" \
                [ "$got" -ge $((expect - slack)) -a "$got" -le $((expect + slack)) ]
        done
        note "weights 4:1:2:1, pages $(_counts)"
        for n in 0 1 2 3; do echo 1 > "$wdir/node$n"; done
    else
        want_rc 1
        want_err_has "6.9"
        want_err_has "^privnuma:"
        want_no_marker "$m"
        note "refused: no weighted_interleave in sysfs, needs Linux 6.9"
    fi
    end
fi
