# CPU binding: -N 1 (the cpus of node 1) and -C 1 (cpu 1), with privnuma and
# numactl.  The workload must have run on cpu 1 and been allowed only cpu 1.
# Then -N 2: node 2 has memory but no cpu, so privnuma must refuse it as a
# usage error (exit 2) with a message of its own, not a raw EINVAL.
#
# cases: privnuma-cpubind-N privnuma-cpubind-C numactl-cpubind-N numactl-cpubind-C
# cases: privnuma-cpunodebind-memory-only

for tool in privnuma numactl; do
    for opt in N C; do
        name=$tool-cpubind-$opt
        [ "$tool" = numactl ] || have_privnuma "$name" || continue
        run $tool -$opt 1 workload 64
        begin "$name"
        want_rc 0
        want_cpu 1
        end
    done
done

name=privnuma-cpunodebind-memory-only
if have_privnuma "$name"; then
    m=$(marker)
    run privnuma -N 2 workload 64 "$m"
    begin "$name"
    want_rc 2
    want_err_has "^privnuma:"
    want_err_has "cpu"
    want_err_lacks "invalid argument"
    want_err_lacks "EINVAL"
    want_no_marker "$m"
    end
fi
