# Who may not reach the private nodes under Slurm (Slurm from 30-slurm-up):
#
#   slurm-refused        bob (not in cram): privnuma's own exit 3 and reason,
#                        the program never ran
#   slurm-not-opted-in   alice's step without privnuma: numactl -m 2 fails,
#                        the task's cpuset is the general nodes 0-1
#   slurm-not-the-step   privnuma started by another program of the step
#                        (srun sh -c 'privnuma ...'): exit 1, it says why and
#                        stays in the step (nothing ran)
# cases: slurm-refused slurm-not-opted-in slurm-not-the-step

RUN_TIMEOUT=60
m=$(marker)
run run_as bob srun -n 1 privnuma -p cxl0 -- workload 16 "$m"
begin slurm-refused
want_rc 3
want_err_has "not allowed"
want_err_has "cram"
want_no_marker "$m"
end

run run_as alice srun -n 1 numactl -m 2 workload 16
numactl_rc=$RC numactl_err=$ERR
run run_as alice srun -n 1 grep Mems_allowed_list /proc/self/status
begin slurm-not-opted-in
want "numactl -m 2 in a step without privnuma exited $numactl_rc: $numactl_err" [ "$numactl_rc" -ne 0 ]
want "a task without privnuma has '$OUT', want Mems_allowed_list: 0-1" \
    sh -c "printf '%s\n' '$OUT' | grep -Eq 'Mems_allowed_list:[[:space:]]+0-1\$'"
end

m=$(marker)
run run_as alice srun -n 1 sh -c "privnuma -p cxl0 -- workload 16 $m"
begin slurm-not-the-step
want_rc 1
want_err_has "never moves a process out of its Slurm step"
want_err_has "srun privnuma"
want_no_marker "$m"
end
