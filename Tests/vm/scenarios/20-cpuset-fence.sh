# A cgroup whose cpuset.mems leaves node 3 out (the way private memory is
# fenced on kernels without N_MEMORY_PRIVATE).  Inside it:
#   privnuma -m 3  is refused before exec: exit 1, a message about the
#                  cpuset, and the workload never starts;
#   privnuma -i all  interleaves over nodes 0-2 only.
# numactl does the same two things for comparison.

cg=/sys/fs/cgroup/no3
if ! { mkdir -p "$cg" && echo 0-1 > "$cg/cpuset.cpus" && echo 0-2 > "$cg/cpuset.mems" &&
       echo $$ > "$cg/cgroup.procs"; }; then
    fail cpuset-setup "cannot create $cg with cpuset.mems=0-2 and move into it"
    exit 0
fi
mems=$(cat "$cg/cpuset.mems.effective")
begin cpuset-setup
want "cpuset.mems.effective of $cg is '$mems', want 0-2" [ "$mems" = 0-2 ]
want "this shell is not in $cg" grep -q '^0::/no3$' /proc/$$/cgroup
end

name=privnuma-cpuset-refuses-3
if have_privnuma "$name"; then
    m=$(marker)
    run privnuma -m 3 workload 64 "$m"
    begin "$name"
    want_rc 1
    want_err_has "^privnuma:"
    want_err_has "cpuset"
    want_no_marker "$m"
    end
fi

m=$(marker)
run numactl -m 3 workload 64 "$m"
begin numactl-cpuset-refuses-3
want "want a non-zero exit, got 0" [ "$RC" -ne 0 ]
want_no_marker "$m"
end

for tool in privnuma numactl; do
    name=$tool-cpuset-interleave-all
    [ "$tool" = numactl ] || have_privnuma "$name" || continue
    run $tool -i all workload 64
    begin "$name"
    want_rc 0
    want_policy interleave:0-2
    want_none 3
    want_even 0-2 10
    end
done

# Leave the cgroup and remove it, so later scenarios start unfenced.  The
# helper process of busybox timeout may linger in it for a second.
echo $$ > /sys/fs/cgroup/cgroup.procs
i=0
until rmdir "$cg" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -ge 10 ]; then
        fail cpuset-cleanup "cannot remove $cg: still holds $(cat "$cg/cgroup.procs" | tr '\n' ' ')"
        break
    fi
    sleep 1
done
