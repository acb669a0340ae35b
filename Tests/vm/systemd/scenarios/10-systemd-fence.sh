# The fence as systemd configuration: `privnuma fence apply` writes drop-ins that systemd
# applies itself; they cover every slice (also ones made later), init.scope and the
# mount units, and survive daemon-reload, set-property, a login and a reboot;
# `fence remove` takes them away again.
# cases: systemd-fence-before systemd-fence-dry-run systemd-fence-dry-run-json
# cases: systemd-fence-apply systemd-fence-apply-json systemd-fence-status
# cases: systemd-fence-idempotent systemd-fence-daemon-reload systemd-fence-new-slice
# cases: systemd-fence-set-property systemd-fence-login systemd-fence-drift
# cases: systemd-fence-after-reboot systemd-fence-remove systemd-fence-remove-json
. /vm/sd-fence.sh
# A login starts user@UID.service: slow on a busy host.
RUN_TIMEOUT=120

case $PHASE in
0)
    sd_registry
    run privnuma fence status
    begin systemd-fence-before
    want_rc 1
    want_out_has "NOT FENCED"
    want_out_has "drop-ins not as 'fence apply' writes them"
    end

    run privnuma fence apply --dry-run
    begin systemd-fence-dry-run
    want_rc 0
    want_out_has "would write $UNITS/slice.d/90-privnuma-fence.conf"
    want_out_has "would write $UNITS/init.scope.d/90-privnuma-fence.conf"
    want_out_has "would write $UNITS/privnuma-cxl0.slice.d/91-privnuma-opt-in.conf"
    want_out_has "AllowedMemoryNodes=0-1"
    want "dry run wrote a file" [ ! -e "$UNITS/slice.d/90-privnuma-fence.conf" ]
    end

    # The same plan as one document: each drop-in with its contents, nothing done.
    run privnuma fence apply --dry-run --json
    begin systemd-fence-dry-run-json
    want_rc 0
    want "schema $(j schema), command $(j command)" [ "$(j schema)|$(j command)" = "privnuma.fence-change/1|fence apply" ]
    want "dry_run $(j dry_run), mechanism $(j mechanism)" [ "$(j dry_run) $(j mechanism)" = "true systemd" ]
    want "outcomes: $(step_outcomes)" [ "$(step_outcomes)" = "planned " ]
    st=$(step_where file "$UNITS/slice.d/90-privnuma-fence.conf")
    want "no step for slice.d's drop-in: $OUT" [ -n "$st" ]
    want "slice.d step: $(j steps.$st.action), before $(j steps.$st.before)" [ "$(j steps.$st.action) $(j steps.$st.before)" = "write-drop-in null" ]
    want "slice.d drop-in after: $(j steps.$st.after | tr '\n' ' ')" has "$(j steps.$st.after)" '^AllowedMemoryNodes=0-1$'
    want "cxl0's opt-in step: $(step_where file "$UNITS/privnuma-cxl0.slice.d/91-privnuma-opt-in.conf")" step_where file "$UNITS/privnuma-cxl0.slice.d/91-privnuma-opt-in.conf"
    want "last step: $(j steps.$(($(j -n steps) - 1)).action)" [ "$(j steps.$(($(j -n steps) - 1)).action)" = daemon-reload ]
    want "changes $(j changes) for $(j -n steps) steps" [ "$(j changes)" = "$(j -n steps)" ]
    want "error: $(j error), fenced: $(j fenced)" [ "$(j error) $(j fenced)" = "null null" ]
    want "the JSON dry run wrote a file" [ ! -e "$UNITS/slice.d/90-privnuma-fence.conf" ]
    end

    run privnuma fence apply --json
    begin systemd-fence-apply-json
    want_rc 0
    want "outcomes: $(step_outcomes)" [ "$(step_outcomes)" = "done " ]
    st=$(step_where file "$UNITS/slice.d/90-privnuma-fence.conf")
    want "the step for slice.d's drop-in: '$st'" [ -n "$st" ]
    want "what the document says was written is the file: $(j steps.$st.after | tr '\n' ' ')" \
        [ "$(j steps.$st.after)" = "$(cat "$UNITS/slice.d/90-privnuma-fence.conf")" ]
    want "reload step: $(step_where action daemon-reload)" step_where action daemon-reload
    want "fenced $(j fenced), error $(j error)" [ "$(j fenced) $(j error)" = "true null" ]
    want "verdict: $(j verdict)" has "$(j verdict)" '^fence applied as systemd configuration'
    want "system.slice after apply --json: $(sd_eff system.slice)" [ "$(sd_eff system.slice)" = 0-1 ]
    # Again in text: nothing left to change after the document's apply.
    run privnuma fence apply
    want_out_has "nothing to change"
    # A refusal is the same document with the error and the text's exit status.
    run run_as bob privnuma fence apply --json
    want "bob's apply --json: exit $RC, error.exit_code $(j error.exit_code)" [ "$RC $(j error.exit_code)" = "1 1" ]
    want "bob's error: $(j error.message)" has "$(j error.message)" 'only as root'
    want "bob's document has steps: $(j -n steps)" [ "$(j -n steps)" = 0 ]
    want "bob's stderr: $ERR" has "$ERR" '^privnuma: .*only as root'
    end

    run privnuma fence apply
    begin systemd-fence-apply
    want_rc 0
    want_out_has "nothing to change"
    for cg in system.slice user.slice init.scope; do
        want "$cg effective mems $(sd_eff $cg), want 0-1" [ "$(sd_eff $cg)" = 0-1 ]
    done
    for cg in /sys/fs/cgroup/*.mount; do
        [ -e "$cg/cpuset.mems.effective" ] || continue
        want "${cg#/sys/fs/cgroup/} effective mems $(cat $cg/cpuset.mems.effective), want 0-1" [ "$(cat $cg/cpuset.mems.effective)" = 0-1 ]
    done
    want "slice.d drop-in: $(cat $UNITS/slice.d/90-privnuma-fence.conf 2>&1 | tr '\n' ' ')" grep -qx 'AllowedMemoryNodes=0-1' "$UNITS/slice.d/90-privnuma-fence.conf"
    want "opt-in drop-in for cxl0" grep -qx 'AllowedMemoryNodes=0-2' "$UNITS/privnuma-cxl0.slice.d/91-privnuma-opt-in.conf"
    want "opt-in drop-in for privnuma.slice" grep -qx 'AllowedMemoryNodes=0-3' "$UNITS/privnuma.slice.d/91-privnuma-opt-in.conf"
    want "systemd does not show AllowedMemoryNodes=0-1 on system.slice" [ "$(systemctl show -P AllowedMemoryNodes system.slice)" = 0-1 ]
    end

    run privnuma fence status
    begin systemd-fence-status
    want_rc 0
    want_out_has "node 2 (cxl0): fenced"
    want_out_has "node 3 (cxl1): fenced"
    want_out_has "every drop-in in place"
    run privnuma fence status --json
    want "status --json fenced is $(printf '%s' "$OUT" | jsonq fenced)" [ "$(printf '%s' "$OUT" | jsonq fenced)" = true ]
    end

    run privnuma fence apply
    begin systemd-fence-idempotent
    want_rc 0
    want_out_has "nothing to change"
    end

    systemctl daemon-reload
    begin systemd-fence-daemon-reload
    for cg in system.slice user.slice init.scope; do
        want "$cg after daemon-reload: $(sd_eff $cg)" [ "$(sd_eff $cg)" = 0-1 ]
    done
    end

    # A top-level slice that did not exist when the fence was applied, and a
    # general program in it that asks for node 2.
    run systemd-run --quiet --scope --slice=newtop.slice -- workload 16
    begin systemd-fence-new-slice
    want_rc 0
    want "newtop.slice effective mems $(sd_eff newtop.slice), want 0-1" [ "$(sd_eff newtop.slice)" = 0-1 ]
    want "workload in newtop.slice was allowed mems $(field mems)" [ "$(field mems)" = 0-1 ]
    want_none 2,3
    run systemd-run --quiet --scope --slice=newtop.slice -- numactl --membind=2 workload 16
    want "numactl --membind=2 in newtop.slice put $(pages_on 2) pages on node 2" [ "$(pages_on 2)" = 0 ]
    end

    systemctl set-property user.slice CPUWeight=50
    systemctl set-property system.slice MemoryAccounting=yes
    begin systemd-fence-set-property
    want "user.slice after set-property: $(sd_eff user.slice)" [ "$(sd_eff user.slice)" = 0-1 ]
    want "system.slice after set-property: $(sd_eff system.slice)" [ "$(sd_eff system.slice)" = 0-1 ]
    end

    run su - bob -c 'cat /proc/self/cgroup; grep Mems_allowed_list /proc/self/status'
    begin systemd-fence-login
    want_rc 0
    want_out_has "0::/user.slice/user-1002.slice/session-"
    want "bob's login shell may use $(printf '%s' "$OUT" | awk '/Mems_allowed_list/ {print $2}')" \
        has "$OUT" '^Mems_allowed_list:[[:space:]]*0-1$'
    want "user-1002.slice: $(sd_eff user.slice/user-1002.slice)" [ "$(sd_eff user.slice/user-1002.slice)" = 0-1 ]
    end

    # Drift in an empty cgroup: an administrator's runtime override on an
    # idle slice. status and audit name it; their summaries agree.
    systemctl set-property --runtime newtop.slice AllowedMemoryNodes=0-3
    run privnuma fence status
    begin systemd-fence-drift
    want_rc 1
    want_out_has "reachable from /newtop.slice"
    want_out_has "empty, drift"
    want_out_has "node 2 (cxl0): NOT FENCED"
    want_out_has "not fenced: node 2 (cxl0), node 3 (cxl1)"
    run privnuma audit
    want "audit exit $RC, want 1" [ "$RC" = 1 ]
    want "audit does not name /newtop.slice: $OUT" has "$OUT" 'cgroup /newtop.slice is empty'
    want "audit warns that systemd's opt-in slice is missing: $OUT" lacks "$OUT" 'does not exist'
    want "audit summary: $(printf '%s' "$OUT" | tail -1)" [ "$(printf '%s' "$OUT" | tail -1)" = "not clean" ]
    systemctl revert newtop.slice >/dev/null 2>&1
    systemctl daemon-reload
    run privnuma fence status
    want "status after revert exit $RC: $OUT" [ "$RC" = 0 ]
    end

    reboot_guest 1
    ;;
1)
    begin systemd-fence-after-reboot
    for cg in system.slice user.slice init.scope; do
        want "$cg after the reboot: $(sd_eff $cg)" [ "$(sd_eff $cg)" = 0-1 ]
    done
    run privnuma fence status
    want "fence status after the reboot: exit $RC: $(printf '%s' "$OUT" | tail -3 | tr '\n' ' ')" [ "$RC" = 0 ]
    end

    # privnuma-cxl0.slice active but empty (its unit ended), privnuma-cxl1.slice
    # holding a running unit: remove stops the first and names the second.
    systemd-run --quiet --wait --slice=privnuma-cxl0.slice true
    systemd-run --quiet --unit=pn-hold --slice=privnuma-cxl1.slice sleep 600
    run privnuma fence remove --dry-run --json
    begin systemd-fence-remove-json
    want_rc 0
    want "schema $(j schema), command $(j command), dry_run $(j dry_run)" \
        [ "$(j schema)|$(j command)|$(j dry_run)" = "privnuma.fence-change/1|fence remove|true" ]
    want "outcomes: $(step_outcomes)" [ "$(step_outcomes)" = "planned skipped " ]
    st=$(step_where file "$UNITS/slice.d/90-privnuma-fence.conf")
    want "slice.d step: $(j steps.$st.action), after $(j steps.$st.after)" [ "$(j steps.$st.action) $(j steps.$st.after)" = "remove-drop-in null" ]
    want "what it would remove is the file: $(j steps.$st.before | tr '\n' ' ')" \
        [ "$(j steps.$st.before)" = "$(cat "$UNITS/slice.d/90-privnuma-fence.conf")" ]
    st=$(step_where unit privnuma-cxl0.slice)
    want "cxl0's slice: $(j steps.$st.action) $(j steps.$st.outcome) $(j steps.$st.processes)" \
        [ "$(j steps.$st.action) $(j steps.$st.outcome) $(j steps.$st.processes)" = "stop-slice planned 0" ]
    st=$(step_where unit privnuma-cxl1.slice)
    want "cxl1's slice: $(j steps.$st.outcome) $(j steps.$st.processes): $(j steps.$st.reason)" \
        [ "$(j steps.$st.outcome) $(j steps.$st.processes)" = "skipped 1" ]
    want "the JSON dry run removed a file" [ -e "$UNITS/slice.d/90-privnuma-fence.conf" ]
    end

    run privnuma fence remove --dry-run
    begin systemd-fence-remove
    want_rc 0
    want_out_has "would remove $UNITS/slice.d/90-privnuma-fence.conf"
    want_out_has "would stop privnuma-cxl0.slice"
    want "dry run removed a file" [ -e "$UNITS/slice.d/90-privnuma-fence.conf" ]
    want "dry run stopped privnuma-cxl0.slice" [ "$(systemctl is-active privnuma-cxl0.slice)" = active ]
    run privnuma fence remove
    want_rc 0
    want_out_has "stopped privnuma-cxl0.slice"
    want_out_has "left privnuma-cxl1.slice running: 1 process"
    want "privnuma-cxl0.slice is $(systemctl is-active privnuma-cxl0.slice) after remove, want inactive" \
        [ "$(systemctl is-active privnuma-cxl0.slice)" = inactive ]
    want "the cgroup of privnuma-cxl0.slice is still there" [ ! -d /sys/fs/cgroup/privnuma.slice/privnuma-cxl0.slice ]
    want "pn-hold.service is $(systemctl is-active pn-hold.service) after remove, want active" \
        [ "$(systemctl is-active pn-hold.service)" = active ]
    want "drop-ins left: $(ls -d $UNITS/*.d 2>/dev/null | tr '\n' ' ')" sh -c "! ls $UNITS/*.d/9?-privnuma-* >/dev/null 2>&1"
    want "system.slice still has AllowedMemoryNodes=$(systemctl show -P AllowedMemoryNodes system.slice) after remove" [ -z "$(systemctl show -P AllowedMemoryNodes system.slice)" ]
    want "init.scope still has AllowedMemoryNodes=$(systemctl show -P AllowedMemoryNodes init.scope) after remove" [ -z "$(systemctl show -P AllowedMemoryNodes init.scope)" ]
    run privnuma fence remove
    want "second remove: exit $RC, $OUT" [ "$RC" = 0 ]
    want_out_has "nothing to remove"
    end
    systemctl stop pn-hold.service privnuma.slice >/dev/null 2>&1
    systemctl revert user.slice system.slice >/dev/null 2>&1
    systemctl daemon-reload
    sd_teardown
    ;;
esac
