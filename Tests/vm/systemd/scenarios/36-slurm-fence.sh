# The systemd fence on a Slurm node (Slurm from 30-slurm-up, whose plugstack.conf
# loads privnuma's SPANK plugin): the real `privnuma fence apply` leaves
# system.slice and slurmstepd's scope open for the plugin, fences every service,
# socket and scope by type, and Slurm keeps working with it:
#
#   slurm-fence-apply        the dry run names the Slurm layout; apply writes it;
#                            system.slice and the scope keep nodes 0-3, slurmd,
#                            this service, user.slice and init.scope get 0-1
#   slurm-fence-status       fence status and audit call the layout fenced: every
#                            drop-in ok, no cgroup outside the opt-in ones reaches
#                            node 2 or 3; --json has the same layout line and
#                            slurmstepd cgroups as the text
#   slurm-fence-rank         alice's srun privnuma -p cxl0: all pages on node 2,
#                            in its step's task cgroup, bound as Slurm binds it
#   slurm-fence-refused      bob's srun privnuma -p cxl0: exit 3 and the reason
#   slurm-fence-not-opted-in a step without privnuma: nodes 0-1 only, no page on
#                            node 2 or 3, numactl -m 2 fails
#   slurm-fence-general      a new system service, a new scope, a new slice and a
#                            login of alice: nodes 0-1 only, numactl -m 2 fails
#   slurm-fence-service      a service in the opt-in slice named after it
#                            (--unit=privnuma-cxl0-job) runs alice's privnuma -p cxl0
#                            there, all pages on node 2; named otherwise it is held
#                            to the general nodes and the launch is refused
#   slurm-fence-scancel      a running opted-in batch step: status still fenced;
#                            scancel ends it, the node is idle, not drained
#   slurm-fence-remove       fence remove deletes every file apply wrote
# cases: slurm-fence-apply slurm-fence-status slurm-fence-rank slurm-fence-refused
# cases: slurm-fence-not-opted-in slurm-fence-general slurm-fence-service slurm-fence-scancel
# cases: slurm-fence-remove

. /vm/sd-fence.sh
RUN_TIMEOUT=120
scope=$(hostname -s)_slurmstepd.scope
fence_files() {
    find "$UNITS" -name '9[01]-privnuma-*.conf' | sort
}
sleeper() { pgrep -u alice -x sleep >/dev/null; }
gone() { ! kill -0 "$pid" 2>/dev/null; }

run privnuma fence apply --dry-run
dry=$OUT dry_rc=$RC
run privnuma fence apply
begin slurm-fence-apply
want "the dry run exited $dry_rc" [ "$dry_rc" = 0 ]
want "the dry run does not name the Slurm layout: $dry" has "$dry" '^slurm: .*plugstack.conf loads privnuma_spank.so'
want "the dry run would not write the scope's drop-in" has "$dry" "would write $UNITS/$scope.d/91-privnuma-slurm.conf"
want_rc 0
want_out_has "wrote $UNITS/service.d/90-privnuma-fence.conf"
want_out_has "wrote $UNITS/system.slice.d/91-privnuma-slurm.conf"
for cg in system.slice "system.slice/$scope"; do
    want "$cg effective mems $(sd_eff "$cg"), want 0-3" [ "$(sd_eff "$cg")" = 0-3 ]
done
for cg in system.slice/slurmd.service system.slice/privnuma-vm.service user.slice init.scope; do
    want "$cg effective mems $(sd_eff "$cg"), want 0-1" [ "$(sd_eff "$cg")" = 0-1 ]
done
want "this service's own Mems_allowed is not 0-1" has "$(cat /proc/self/status)" '^Mems_allowed_list:[[:space:]]+0-1$'
end

# The scope's subtree as Slurm keeps it, for the console log.
for f in $(find "/sys/fs/cgroup/system.slice/$scope" -name cgroup.procs); do
    d=${f%/cgroup.procs}
    echo "slurm-fence: ${d#/sys/fs/cgroup} mems '$(cat "$d/cpuset.mems" 2>/dev/null)' effective '$(cat "$d/cpuset.mems.effective" 2>/dev/null)' procs: $(xargs -r ps -o comm= -p < "$f" 2>/dev/null | tr '\n' ' ')"
done
run privnuma fence status
status_out=$OUT status_rc=$RC
printf '%s\n' "$OUT" | sed 's/^/slurm-fence status: /'
run privnuma fence status --json
status_json=$OUT
run privnuma audit --json
begin slurm-fence-status
want "fence status exited $status_rc: $status_out" [ "$status_rc" = 0 ]
want "fence status has a drop-in not in place: $status_out" has "$status_out" 'every drop-in in place'
want "fence status does not name the Slurm layout" has "$status_out" '^slurm: .*privnuma_spank.so'
want "fence status --json has another layout: $(printf '%s' "$status_json" | jsonq layout 2>&1)" \
    [ "$(printf '%s' "$status_json" | jsonq layout 2>&1)" = "$(printf '%s\n' "$status_out" | grep '^slurm: ')" ]
want "fence status --json counts slurmstepd's own cgroups otherwise than its notes" \
    [ "$(printf '%s' "$status_json" | jsonq -n slurm_daemons 2>&1)" = "$(printf '%s\n' "$status_out" | grep -c "slurmstepd's own cgroup")" ]
want "fence status reports a cgroup that reaches a private node: $status_out" lacks "$status_out" 'reachable from|NOT FENCED'
want "audit reports a broken fence: $(printf '%s' "$OUT" | json_items broken_fences cgroup 2>/dev/null | tr '\n' ' ')" \
    [ "$(printf '%s' "$OUT" | jsonq -n broken_fences)" = 0 ]
end

run run_as alice srun -n 1 --mem=200M privnuma -p cxl0 -- /tmp/app
opted=$OUT
begin slurm-fence-rank
want_rc 0
want_policy prefer:2
want_all 2
cg=$(field cgroup)
want "the rank is in '$cg', not in its step's task cgroup" has "$cg" "^/system.slice/$scope/job_[0-9]+/step_0/user/task_0\$"
want "the rank may use nodes '$(field mems)', want 0-2" [ "$(field mems)" = 0-2 ]
run run_as alice srun -n 1 --mem=200M /tmp/app 1
want "the rank runs on CPUs '$(field cpus "$opted")', Slurm binds the step without privnuma to '$(field cpus)'" \
    [ "$(field cpus "$opted")" = "$(field cpus)" ]
end

m=$(marker)
run run_as bob srun -n 1 privnuma -p cxl0 -- workload 16 "$m"
begin slurm-fence-refused
want_rc 3
want_err_has "not allowed"
want_err_has "cram"
want_no_marker "$m"
end

run run_as alice srun -n 1 /tmp/app
begin slurm-fence-not-opted-in
want_rc 0
want "a step without privnuma may use nodes '$(field mems)', want 0-1" [ "$(field mems)" = 0-1 ]
want_none 2-3
run run_as alice srun -n 1 numactl -m 2 workload 16
want "numactl -m 2 in a step without privnuma exited $RC" [ "$RC" -ne 0 ]
end

begin slurm-fence-general
run systemd-run --quiet --wait --pipe --collect workload 16
want "a new system service exited $RC: $ERR" [ "$RC" = 0 ]
want "a new system service may use nodes '$(field mems)', want 0-1" [ "$(field mems)" = 0-1 ]
want_none 2-3
run systemd-run --quiet --wait --pipe --collect numactl -m 2 workload 16
want "numactl -m 2 in a new system service exited $RC" [ "$RC" -ne 0 ]
run systemd-run --quiet --scope workload 16
want "a new scope in system.slice may use nodes '$(field mems)', want 0-1" [ "$(field mems)" = 0-1 ]
run systemd-run --quiet --scope --slice=slurmfence.slice workload 16
want "a new slice may use nodes '$(field mems)', want 0-1" [ "$(field mems)" = 0-1 ]
run su - alice -c 'grep Mems_allowed_list /proc/self/status; numactl -m 2 true; echo numactl $?'
want "alice's login has '$OUT', want Mems_allowed_list 0-1" has "$OUT" '^Mems_allowed_list:[[:space:]]+0-1$'
want "numactl -m 2 in alice's login succeeded: $OUT" lacks "$OUT" '^numactl 0$'
end

begin slurm-fence-service
run systemd-run --quiet --wait --pipe --collect --unit=privnuma-cxl0-job --slice=privnuma-cxl0.slice --uid=alice \
    privnuma -p cxl0 -- workload 16
want_rc 0
want_policy prefer:2
want_all 2
m=$(marker)
run systemd-run --quiet --wait --pipe --collect --slice=privnuma-cxl0.slice --uid=alice \
    privnuma -p cxl0 -- workload 16 "$m"
want "a service in the opt-in slice not named after it exited $RC" [ "$RC" -ne 0 ]
want_no_marker "$m"
end

run_as alice sbatch --mem=50M -o /dev/null --wrap 'srun privnuma -p cxl0 -- sleep 300' > "$_T/sbatch" 2>&1
job=$(sed -n 's/^Submitted batch job //p' "$_T/sbatch")
begin slurm-fence-scancel
want "sbatch: $(cat "$_T/sbatch")" [ -n "$job" ]
want "the step's sleep never started" wait_for 60 sleeper
pid=$(pgrep -u alice -x sleep | head -n 1)
cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup" 2>/dev/null)
want "sleep is in '$cg', not in job $job's step 0 task cgroup" has "$cg" "/job_$job/step_0/user/task_0\$"
want "sleep may use nodes '$(sed -n 's/^Mems_allowed_list:\t//p' "/proc/$pid/status")', want 0-2" \
    has "$(cat "/proc/$pid/status")" '^Mems_allowed_list:[[:space:]]+0-2$'
run privnuma fence status
printf '%s\n' "$OUT" | sed 's/^/slurm-fence status with a job: /'
want "fence status with a running opted-in job exited $RC: $OUT" [ "$RC" = 0 ]
scancel "$job"
want "sleep (pid $pid) still runs 60 s after scancel" wait_for 60 gone
want "node state '$(node_state)' after scancel, want idle" wait_for 60 node_idle
want "the node was drained: $(sinfo -h -R 2>&1)" [ -z "$(sinfo -h -R)" ]
want "no process of alice's job is left: $(pgrep -u alice -a)" sh -c '! pgrep -u alice -x sleep'
end

run privnuma fence remove
begin slurm-fence-remove
want_rc 0
want "fence remove left $(fence_files | tr '\n' ' ')" [ -z "$(fence_files)" ]
end
