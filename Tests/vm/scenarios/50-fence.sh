# The cpuset fence (fence apply / fence status) on the real kernel.  Nodes 2
# and 3 are declared private with the cpuset backend (guest/fence.sh); as root:
#   fence apply          creates /privnuma.slice/cxl0 (mems 0-2) and
#                        /privnuma.slice/cxl1 (mems 0-1,3), moves the root
#                        cgroup's processes into /privnuma-general (mems 0-1)
#   fence status         both nodes fenced, exit 0; --json agrees
#   fence apply again    "nothing to change"
#   a cgroup made later  /rogue with full mems and a process in it: status
#                        names it and the process, exit 1; --dry-run changes
#                        nothing (text and --json: the set-mems step planned);
#                        apply --json narrows it (the step done, fenced true),
#                        status is clean again and the process's Mems_allowed
#                        drop to 0-1
#   bob                  fence apply refused (exit 1, says to run as root; with
#                        --json the document's error, exit 1);
#                        fence status works for him too
#
# cases: fence-apply fence-status-fenced fence-status-json fence-apply-idempotent
# cases: fence-status-leak fence-status-leak-json fence-apply-dry-run
# cases: fence-apply-dry-run-json fence-apply-fixes-leak fence-status-after-fix fence-apply-needs-root
# cases: fence-status-as-user

. /vm/fence.sh

have_privnuma fence-apply || exit 0
if ! fence_setup; then
    fail fence-apply "cannot install $PN with setcap or write the registry"
    fence_teardown
    exit 0
fi

begin fence-apply
want "fence apply exited $APPLY_RC: $APPLY_OUT" [ "$APPLY_RC" = 0 ]
want "apply did not say it created the opt-in cgroup: $APPLY_OUT" \
    sh -c 'printf "%s" "$1" | grep -q "created cgroup /privnuma.slice/cxl0"' - "$APPLY_OUT"
want "cxl0 cpuset.mems: want 0-2, got '$(cat $CG/privnuma.slice/cxl0/cpuset.mems 2>&1)'" \
    [ "$(cat $CG/privnuma.slice/cxl0/cpuset.mems 2>/dev/null)" = 0-2 ]
want "cxl1 cpuset.mems: want 0-1,3, got '$(cat $CG/privnuma.slice/cxl1/cpuset.mems 2>&1)'" \
    [ "$(cat $CG/privnuma.slice/cxl1/cpuset.mems 2>/dev/null)" = 0-1,3 ]
want "privnuma-general cpuset.mems: want 0-1, got '$(cat $CG/privnuma-general/cpuset.mems 2>&1)'" \
    [ "$(cat $CG/privnuma-general/cpuset.mems 2>/dev/null)" = 0-1 ]
want "init (pid 1) is in '$(cat /proc/1/cgroup)', want 0::/privnuma-general" \
    grep -qx '0::/privnuma-general' /proc/1/cgroup
want "this shell's mems are '$(grep Mems_allowed_list /proc/$$/status)', want 0-1" \
    grep -qE '^Mems_allowed_list:[[:space:]]+0-1$' /proc/$$/status
end

run "$PN" fence status
begin fence-status-fenced
want_rc 0
want_out_has "node 2 (cxl0): fenced"
want_out_has "node 3 (cxl1): fenced"
want_out_has "opt-in cgroup /privnuma.slice/cxl0: cpuset.mems 0-2, effective 0-2, ready"
want "status should not report a leak: $OUT" sh -c '! printf "%s" "$1" | grep -q "NOT FENCED"' - "$OUT"
# The kernel's own view: no process outside the opt-in cgroups may allocate there.
r2=$(reachers 2 /privnuma.slice/cxl0)
r3=$(reachers 3 /privnuma.slice/cxl1)
want "processes outside /privnuma.slice/cxl0 whose Mems_allowed has node 2: $r2" [ -z "$r2" ]
want "processes outside /privnuma.slice/cxl1 whose Mems_allowed has node 3: $r3" [ -z "$r3" ]
end

run "$PN" fence status --json
begin fence-status-json
want_rc 0
want "schema: got '$(j schema)'" [ "$(j schema)" = privnuma.fence/1 ]
want "fenced: got '$(j fenced)'" [ "$(j fenced)" = true ]
want "open_nodes: got '$(j open_nodes)'" [ "$(j open_nodes)" = "0 1" ]
want "node 2 opt-in mems_effective: got '$(j nodes.0.opt_in.mems_effective)'" [ "$(j nodes.0.opt_in.mems_effective)" = "0 1 2" ]
want "node 3 fenced: got '$(j nodes.1.fenced)'" [ "$(j nodes.1.fenced)" = true ]
want "node 2 leaks: got $(j -n nodes.0.leaks)" [ "$(j -n nodes.0.leaks)" = 0 ]
end

run "$PN" fence apply
begin fence-apply-idempotent
want_rc 0
want_out_has "nothing to change"
want "second apply changed something: $OUT" sh -c '! printf "%s" "$1" | grep -qE "^(created|set|moved|enabled)"' - "$OUT"
end

# A cgroup made after the fence, with every node, and a process in it.
mkdir "$CG/rogue"
sh -c "echo \$\$ > $CG/rogue/cgroup.procs && exec sleep 50" </dev/null >/dev/null 2>&1 &
rogue=$!
i=0
while ! grep -qx "$rogue" "$CG/rogue/cgroup.procs" 2>/dev/null && [ "$i" -lt 50 ]; do
    i=$((i + 1)); usleep 100000 2>/dev/null || sleep 1
done

run "$PN" fence status
begin fence-status-leak
want_rc 1
want_out_has "node 2 (cxl0): NOT FENCED"
want_out_has "node 3 (cxl1): NOT FENCED"
want_out_has "reachable from /rogue (effective mems 0-3)"
want_out_has "pid $rogue sleep"
want_out_has "run 'privnuma fence apply' as root"
# The kernel's own view agrees: the rogue process may allocate on node 2.
r2=$(reachers 2 /privnuma.slice/cxl0)
want "the rogue pid $rogue should reach node 2 by its Mems_allowed; processes that do: '$r2'" \
    sh -c 'case " $1 " in *" $2:/rogue "*) exit 0 ;; esac; exit 1' - "$r2" "$rogue"
end

run "$PN" fence status --json
begin fence-status-leak-json
want_rc 1
want "fenced: got '$(j fenced)'" [ "$(j fenced)" = false ]
want "node 2's leak: got '$(j nodes.0.leaks.0.cgroup)'" [ "$(j nodes.0.leaks.0.cgroup)" = /rogue ]
want "node 2's leaking pid: got '$(j nodes.0.leaks.0.processes.0.pid)', want $rogue" \
    [ "$(j nodes.0.leaks.0.processes.0.pid)" = "$rogue" ]
end

run "$PN" fence apply --dry-run
begin fence-apply-dry-run
want_rc 0
want_out_has "would set cpuset.mems of /rogue to 0-1"
want "dry run changed /rogue's cpuset.mems to '$(cat $CG/rogue/cpuset.mems)'" [ -z "$(cat $CG/rogue/cpuset.mems)" ]
end

# The same plan as one document, then the apply as one document.
run "$PN" fence apply --dry-run --json
begin fence-apply-dry-run-json
want_rc 0
want "schema $(j schema), dry_run $(j dry_run), mechanism $(j mechanism)" \
    [ "$(j schema) $(j dry_run) $(j mechanism)" = "privnuma.fence-change/1 true cgroup" ]
st=$(step_where action set-mems cgroup /rogue)
want "no set-mems step for /rogue: $OUT" [ -n "$st" ]
want "/rogue step: was $(j steps.$st.was), after $(j steps.$st.after), $(j steps.$st.outcome)" \
    [ "$(j steps.$st.was)|$(j steps.$st.after)|$(j steps.$st.outcome)" = "inherited|0 1|planned" ]
want "/rogue step's file: $(j steps.$st.file)" [ "$(j steps.$st.file)" = "$CG/rogue/cpuset.mems" ]
want "changes $(j changes), error $(j error)" [ "$(j changes) $(j error)" = "$(j -n steps) null" ]
want "JSON dry run changed /rogue's cpuset.mems to '$(cat $CG/rogue/cpuset.mems)'" [ -z "$(cat $CG/rogue/cpuset.mems)" ]
end

run "$PN" fence apply --json
begin fence-apply-fixes-leak
want_rc 0
st=$(step_where action set-mems cgroup /rogue)
want "/rogue step in the result: '$st': $OUT" [ -n "$st" ]
want "/rogue step: $(j steps.$st.outcome), after $(j steps.$st.after)" [ "$(j steps.$st.outcome)|$(j steps.$st.after)" = "done|0 1" ]
want "dry_run $(j dry_run), fenced $(j fenced), error $(j error)" [ "$(j dry_run) $(j fenced) $(j error)" = "false true null" ]
want "verdict: $(j verdict)" sh -c 'case "$1" in "fence applied: "*) exit 0 ;; esac; exit 1' - "$(j verdict)"
want "/rogue cpuset.mems: want 0-1, got '$(cat $CG/rogue/cpuset.mems)'" [ "$(cat $CG/rogue/cpuset.mems)" = 0-1 ]
want "the sleeping process's mems are '$(grep Mems_allowed_list /proc/$rogue/status)', want 0-1" \
    grep -qE '^Mems_allowed_list:[[:space:]]+0-1$' /proc/$rogue/status
end

run "$PN" fence status
begin fence-status-after-fix
want_rc 0
want_out_has "node 2 (cxl0): fenced"
want_out_has "node 3 (cxl1): fenced"
r2=$(reachers 2 /privnuma.slice/cxl0)
want "after apply, processes outside /privnuma.slice/cxl0 still reach node 2: $r2" [ -z "$r2" ]
end

run run_as bob "$PN" fence apply
begin fence-apply-needs-root
want_rc 1
want_err_has "only as root"
want_err_has "sudo privnuma fence apply"
run run_as bob "$PN" fence apply --json
want_rc 1
want "bob's document: error.exit_code $(j error.exit_code), steps $(j -n steps)" [ "$(j error.exit_code) $(j -n steps)" = "1 0" ]
want_err_has "only as root"
end

run run_as bob "$PN" fence status
begin fence-status-as-user
want_rc 0
want_out_has "node 2 (cxl0): fenced"
end

kill "$rogue" 2>/dev/null
wait "$rogue" 2>/dev/null
i=0
until rmdir "$CG/rogue" 2>/dev/null || [ "$i" -ge 10 ]; do i=$((i + 1)); sleep 1; done
fence_teardown
