# Two ranks of an allowed user on their private nodes, in Slurm's cgroups
# (Slurm from 30-slurm-up):
#
#   slurm-ranks-N     srun -n 2 --mem=200M privnuma -p rank:2,3: rank 0 on
#                     node 2, rank 1 on node 3, each in its own task cgroup of
#                     the step (not privnuma's), bound to the CPU Slurm binds
#                     the same job without privnuma to, allowed only its node
#   slurm-grant-log   slurmd's log says what the plugin granted each task
# cases: slurm-ranks-0 slurm-ranks-1 slurm-grant-log

# rank_out N: rank N's lines of srun -l output in $ALL, without the label.
rank_out() { printf '%s\n' "$ALL" | sed -n "s/^ *$1: //p"; }
task_cgroup='^/system.slice/([a-z0-9_-]+_)?slurmstepd.scope/job_[0-9]+/step_0/user/task_'

RUN_TIMEOUT=60
run run_as alice srun -l -n 2 --mem=200M privnuma -p rank:2,3 -- /tmp/app
ALL=$OUT rc=$RC err=$ERR cmd=$CMD
# Slurm's own binding of the same job without privnuma.
run run_as alice srun -l -n 2 --mem=200M /tmp/app 1
BARE=$OUT
for rank in 0 1; do
    node=$((rank + 2))
    OUT=$(rank_out "$rank") RC=$rc ERR=$err CMD=$cmd
    cg=$(field cgroup)
    bare_cpus=$(printf '%s\n' "$BARE" | sed -n "s/^ *$rank: cpus //p")
    begin "slurm-ranks-$rank"
    want_rc 0
    want_policy "prefer:$node"
    want_all "$node"
    want "rank $rank is in cgroup '$cg', not in its Slurm task cgroup" \
        sh -c "echo '$cg' | grep -Eq '$task_cgroup$rank\$'"
    want "rank $rank runs on CPUs '$(field cpus)', Slurm binds it to '$bare_cpus'" \
        [ "$(field cpus)" = "${bare_cpus:-none}" ]
    mems=$([ "$node" = 2 ] && echo 0-2 || echo 0-1,3)
    want "rank $rank may use nodes '$(field mems)', want $mems" [ "$(field mems)" = "$mems" ]
    end
done

begin slurm-grant-log
want "slurmd's log has no grant of node 2 to task 0" \
    grep -Eq "privnuma: task 0: .*task_0: cpuset.mems 0-2: .*private node 2" /var/log/slurm/slurmd.log
want "slurmd's log has no grant of node 3 to task 1" \
    grep -Eq "privnuma: task 1: .*task_1: cpuset.mems 0-1,3: .*private node 3" /var/log/slurm/slurmd.log
end
