# Slurm's limits hold for an opted-in step (Slurm from 30-slurm-up):
#
#   slurm-mem-enforced  --mem=100M: touching 300 MiB preferring node 2 is
#                       OOM-killed by the step's memory.max, as without privnuma
#   slurm-scancel       a running opted-in step is in its task cgroup with
#                       node 2 allowed and pages there; audit counts it as
#                       opted in (no violation, no broken fence for it or for
#                       slurmstepd); scancel ends it and the node is idle,
#                       not drained
# cases: slurm-mem-enforced slurm-scancel

RUN_TIMEOUT=60
run run_as alice srun -n 1 --mem=100M privnuma -p cxl0 -- workload 300
opted_rc=$RC opted_err=$ERR
run run_as alice srun -n 1 --mem=100M workload 300
begin slurm-mem-enforced
RC=$opted_rc ERR=$opted_err
want "300 MiB under --mem=100M with privnuma exited $opted_rc" [ "$opted_rc" -ne 0 ]
want_err_has "out of memory"
want "300 MiB under --mem=100M without privnuma exited $RC" [ "$RC" -ne 0 ]
end

run_as alice sbatch --mem=50M -o /dev/null --wrap 'srun privnuma -p cxl0 -- sleep 300' > "$_T/sbatch" 2>&1
job=$(sed -n 's/^Submitted batch job //p' "$_T/sbatch")
sleeper() { pgrep -u alice -x sleep >/dev/null; }
gone() { ! kill -0 "$pid" 2>/dev/null; }
begin slurm-scancel
want "sbatch: $(cat "$_T/sbatch")" [ -n "$job" ]
want "the step's sleep never started" wait_for 30 sleeper
pid=$(pgrep -u alice -x sleep | head -n 1)
cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup" 2>/dev/null)
want "sleep is in '$cg', not in job $job's step 0 task cgroup" \
    sh -c "echo '$cg' | grep -Eq '/job_$job/step_0/user/task_0\$'"
mems=$(sed -n 's/^Mems_allowed_list:\t//p' "/proc/$pid/status")
want "sleep may use nodes '$mems', want 0-2" [ "$mems" = 0-2 ]
# audit counts the granted task as opted in: neither the rank nor its cgroup is
# reported (this guest has no systemd fence, so audit still finds other cgroups).
pages2=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^N2=/) { sub(/^N2=/, "", $i); n += $i } } END { print n + 0 }' "/proc/$pid/numa_maps")
want "the opted-in sleep has no page on node 2 to audit" [ "$pages2" -gt 0 ]
privnuma audit --json > "$_T/audit.json" 2>/dev/null
want "audit reports the opted-in rank (pid $pid) as a violation" \
    bash -c "! json_items violations pid < '$_T/audit.json' | grep -qx '$pid'"
want "audit reports the rank's task cgroup as a broken fence" \
    bash -c "! json_items broken_fences cgroup < '$_T/audit.json' | grep -q '/job_$job/step_0/user/task_0\$'"
want "audit reports slurmstepd's cgroup of the step as a broken fence" \
    bash -c "! json_items broken_fences cgroup < '$_T/audit.json' | grep -q '/job_$job/step_0/slurm\$'"
scancel "$job"
want "sleep (pid $pid) still runs 30 s after scancel" wait_for 30 gone
want "node state '$(node_state)' after scancel, want idle" wait_for 30 node_idle
want "the node was drained: $(sinfo -h -R 2>&1)" [ -z "$(sinfo -h -R)" ]
end
