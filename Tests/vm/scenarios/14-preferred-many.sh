# MPOL_PREFERRED_MANY (5.15+) over the two memory-only nodes:
# privnuma -P 2,3 and numactl --preferred-many=2,3.
#
# cases: privnuma-preferred-many numactl-preferred-many

for tool in privnuma numactl; do
    name=$tool-preferred-many
    if [ "$tool" = numactl ]; then
        run numactl --preferred-many=2,3 workload 64
    else
        have_privnuma "$name" || continue
        run privnuma -P 2,3 workload 64
    fi
    begin "$name"
    want_rc 0
    want_policy "prefer (many):2-3"
    want_all 2-3
    note "$(_counts)"
    end
done
