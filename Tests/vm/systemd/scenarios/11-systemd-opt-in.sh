# Opting in on a systemd host: a unit placed in the opt-in slice runs
# `privnuma -p cxl0` and stays in its unit (systemd counts its tasks, stops it,
# keeps its limits); a unit elsewhere is refused and nothing is moved; a login
# shell's launch is moved by systemd itself into a transient scope in the
# opt-in slice (setuid install), and refused with the reason where privnuma
# cannot ask systemd (an install without setuid).
# cases: systemd-optin-service systemd-optin-service-stays systemd-optin-service-stop
# cases: systemd-optin-refused-elsewhere systemd-optin-login-scope systemd-optin-login-bob
# cases: systemd-optin-login-root systemd-optin-login-unprivileged
. /vm/sd-fence.sh
# Logins start user@UID.service, and systemctl start waits for a job: slow on a busy host.
RUN_TIMEOUT=120
sd_registry
privnuma fence apply >/dev/null 2>&1 || fail systemd-optin-setup "fence apply failed: $(privnuma fence apply 2>&1)"

# A oneshot service in the opt-in slice, as alice.
cat > "$UNITS/pn-job.service" <<'UNIT'
[Unit]
Description=a job that opts in to cxl0
[Service]
Type=oneshot
User=alice
Slice=privnuma-cxl0.slice
MemoryMax=200M
StandardOutput=file:/tmp/pn-job.out
StandardError=file:/tmp/pn-job.err
ExecStart=/usr/bin/privnuma -p cxl0 -- /bin/sh -c 'cat /proc/self/cgroup; exec workload 32'
UNIT
systemctl daemon-reload
rm -f /tmp/pn-job.out /tmp/pn-job.err
run systemctl start pn-job.service
OUT=$(cat /tmp/pn-job.out 2>/dev/null)
ERR="$ERR $(cat /tmp/pn-job.err 2>/dev/null)"
begin systemd-optin-service
want_rc 0
want_policy prefer:2
want_share 2 95
want "slice of pn-job: $(systemctl show -P Slice pn-job.service)" [ "$(systemctl show -P Slice pn-job.service)" = privnuma-cxl0.slice ]
end
begin systemd-optin-service-stays
want_out_has "0::/privnuma.slice/privnuma-cxl0.slice/pn-job.service"
end

# A long-running service: systemd sees its tasks and stops all of them.
cat > "$UNITS/pn-long.service" <<'UNIT'
[Unit]
Description=a long job that opts in to cxl0 and forks
[Service]
User=alice
Slice=privnuma-cxl0.slice
ExecStart=/usr/bin/privnuma -p cxl0 -- /bin/sh -c 'sleep 300 & sleep 300 & wait'
UNIT
systemctl daemon-reload
systemctl start pn-long.service
wait_for 20 sh -c '[ "$(systemctl show -P TasksCurrent pn-long.service)" -ge 3 ]'
tasks=$(systemctl show -P TasksCurrent pn-long.service)
main=$(systemctl show -P MainPID pn-long.service)
cg=$(cat /proc/$main/cgroup 2>/dev/null)
run systemctl stop pn-long.service
begin systemd-optin-service-stop
want_rc 0
want "TasksCurrent=$tasks, want 3 (sh and two sleeps)" [ "$tasks" = 3 ]
want "main process in $cg" [ "$cg" = 0::/privnuma.slice/privnuma-cxl0.slice/pn-long.service ]
want "alice's sleeps survived systemctl stop: $(pgrep -u alice -a sleep | tr '\n' ' ')" sh -c '! pgrep -u alice sleep >/dev/null'
end

# A service in system.slice (no opt-in) asks for cxl0: refused, not moved.
m=$(marker)
systemd-run --quiet --wait --unit=pn-elsewhere -p User=alice -p StandardOutput=file:/tmp/pn-else.out \
    -p StandardError=file:/tmp/pn-else.err /usr/bin/privnuma -p cxl0 -- workload 16 "$m"
RC=$?
ERR=$(cat /tmp/pn-else.err 2>/dev/null)
begin systemd-optin-refused-elsewhere
want "exit $RC, want non-zero" [ "$RC" != 0 ]
want_err_has "does not take a process out of the unit"
want_err_has "Slice=privnuma-cxl0.slice"
want_no_marker "$m"
end

# A login shell: alice with a setuid-root install; systemd makes the scope.
cp /usr/bin/privnuma /usr/local/bin/privnuma-suid
chown root:root /usr/local/bin/privnuma-suid
chmod 4755 /usr/local/bin/privnuma-suid
# login_scope CASE USER LAUNCH SLICE POLICY: LAUNCH from USER's login shell runs
# in a scope systemd made in SLICE (the cgroup and the scope's Slice= say so),
# with POLICY and its pages on POLICY's node.
login_scope() {
    local case=$1 user=$2 launch=$3 slice=$4 policy=$5
    run su - "$user" -c "$launch -- /bin/sh -c \"cat /proc/self/cgroup; systemctl show -P Slice \\\$(basename \\\$(sed -n s/^0:://p /proc/self/cgroup)); exec workload 32\""
    begin "$case"
    want_rc 0
    want_out_has "0::/privnuma.slice/$slice/privnuma-"
    want_out_has "^$slice\$"
    want_policy "$policy"
    want_share "${policy#*:}" 95
    end
}

login_scope systemd-optin-login-scope alice "/usr/local/bin/privnuma-suid -p cxl0" privnuma-cxl0.slice prefer:2

m=$(marker)
run su - bob -c "/usr/local/bin/privnuma-suid -p cxl0 -- workload 16 $m"
begin systemd-optin-login-bob
want_rc 3
want_no_marker "$m"
end

login_scope systemd-optin-login-root root "privnuma -m cxl1" privnuma-cxl1.slice bind:3

m=$(marker)
run su - alice -c "privnuma -p cxl0 -- workload 16 $m"
begin systemd-optin-login-unprivileged
want_rc 1
want_err_has "only root may ask systemd"
want_err_has "systemd-run --wait --pipe --slice=privnuma-cxl0.slice --uid=alice"
want_no_marker "$m"
end

rm -f "$UNITS/pn-job.service" "$UNITS/pn-long.service" /usr/local/bin/privnuma-suid
systemctl daemon-reload
sd_teardown
