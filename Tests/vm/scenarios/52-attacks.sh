# Attacks by an unprivileged user (bob, not in cram) on the installed setcap
# privnuma (guest/fence.sh: node 2 cxl0 for cram, node 3 cxl1 for root only).
# Each must fail, and each outcome is asserted:
#   PRIVNUMA_REGISTRY/SYSFS/PROC/CGROUP at bob's files   ignored with a warning;
#                          the real registry still refuses him (exit 3)
#   --registry at bob's directory                        refused under privilege, exit 3
#   a registry file made group-writable                  refused, exit 3, file named
#   a registry file replaced by a symbolic link          refused, exit 3, file named
#   Cgroup=../.. in a registry file                      its node refused (exit 3),
#                                                        fence apply changes nothing (exit 2)
#   a fake `true` first on PATH                          runs, but with no capability
#                                                        (looked up after the drop)
#   a label bob is not allowed on (cxl1, cxl0)           exit 3, nothing runs
#   migrate of alice's process                           refused
#
# cases: attack-env-overrides attack-env-registry attack-registry-option
# cases: attack-group-writable attack-group-writable-alice attack-symlink
# cases: attack-cgroup-escape attack-cgroup-escape-apply attack-path-fake-true
# cases: attack-path-private attack-label-cxl1 attack-label-cxl0
# cases: attack-migrate-other-user

. /vm/fence.sh

have_privnuma attack-env-overrides || exit 0
if ! fence_setup || [ "$APPLY_RC" != 0 ]; then
    fail attack-env-overrides "setup failed (fence apply exit ${APPLY_RC:-?}): $APPLY_OUT"
    fence_teardown
    exit 0
fi

# bob's own registry, allowing him on node 2, and a sysfs of his own.
home=/home/bob
mkdir -p "$home/reg" "$home/sys/devices/system/node" "$home/cg" "$home/bin"
cat > "$home/reg/50-cxl0.conf" <<'EOF'
[Node]
Id=2
Label=cxl0
Capabilities=migration mempolicy
AllowUsers=bob
Cgroup=privnuma.slice/cxl0
EOF
echo 0-3 > "$home/sys/devices/system/node/online"
echo 0-3 > "$home/sys/devices/system/node/has_memory"
: > "$home/cg/cgroup.procs"
chown -R bob:bob "$home"

m=$(marker)
run run_as bob env PRIVNUMA_REGISTRY="$home/reg" PRIVNUMA_SYSFS="$home/sys" \
    PRIVNUMA_PROC="$home" PRIVNUMA_CGROUP="$home/cg" "$PN" -m cxl0 workload 64 "$m"
begin attack-env-overrides
want_rc 3
want_err_has "ignoring PRIVNUMA_SYSFS, PRIVNUMA_PROC, PRIVNUMA_CGROUP, PRIVNUMA_REGISTRY: privnuma runs with privilege"
want_err_has "AllowGroups=cram"
want_no_marker "$m"
want "bob's fake cgroup.procs was written" [ ! -s "$home/cg/cgroup.procs" ]
end

m=$(marker)
run run_as bob env PRIVNUMA_REGISTRY="$home/reg" "$PN" -m 2 workload 64 "$m"
begin attack-env-registry
want_rc 3
want_err_has "ignoring PRIVNUMA_REGISTRY"
want_err_has "node 2 (cxl0)"
want_no_marker "$m"
end

m=$(marker)
run run_as bob "$PN" --registry "$home/reg" -m cxl0 workload 64 "$m"
begin attack-registry-option
want_rc 3
want_err_has "--registry $home/reg is not accepted"
want_err_has "reads only the configured registry"
want_no_marker "$m"
end

# A registry file someone made group-writable: refused for everybody, even
# for alice, who would otherwise be allowed.
chmod g+w "$REG/50-cxl0.conf"
m=$(marker)
run run_as bob "$PN" -m cxl0 workload 64 "$m"
begin attack-group-writable
want_rc 3
want_err_has "insecure registry: $REG/50-cxl0.conf is writable by group or others"
want_no_marker "$m"
end
run run_as alice "$PN" -m cxl0 true
begin attack-group-writable-alice
want_rc 3
want_err_has "$REG/50-cxl0.conf"
end
chmod g-w "$REG/50-cxl0.conf"

# A registry file replaced by a symbolic link (to an otherwise good copy).
mv "$REG/60-cxl1.conf" /etc/privnuma/cxl1.conf.real
ln -s /etc/privnuma/cxl1.conf.real "$REG/60-cxl1.conf"
m=$(marker)
run run_as bob "$PN" -m cxl0 workload 64 "$m"
begin attack-symlink
want_rc 3
want_err_has "insecure registry: $REG/60-cxl1.conf is a symbolic link"
want_no_marker "$m"
end
rm -f "$REG/60-cxl1.conf"
mv /etc/privnuma/cxl1.conf.real "$REG/60-cxl1.conf"

# Cgroup= escaping the cgroup mount.
cp "$REG/60-cxl1.conf" /tmp/cxl1.conf.saved
sed -i 's|^Cgroup=.*|Cgroup=../..|' "$REG/60-cxl1.conf"
m=$(marker)
run run_as bob "$PN" -m 3 workload 64 "$m"
begin attack-cgroup-escape
want_rc 3
want_err_has "warning: $REG/60-cxl1.conf:8"
want_err_has "contains '..'"
want_err_has "node 3 (node3) is mentioned by a registry file with errors"
want_no_marker "$m"
end
run "$PN" fence apply
begin attack-cgroup-escape-apply
want_rc 2
want_err_has "contains '..'"
end
cp /tmp/cxl1.conf.saved "$REG/60-cxl1.conf"
chmod 0644 "$REG/60-cxl1.conf"

# PATH tricks: bob's own `true` first on PATH.  It runs (it is what bob asked
# for), but only after every capability is gone: the lookup happens after the
# drop, so it proves it from inside.
cat > "$home/bin/true" <<'EOF'
#!/bin/sh
grep -E '^Cap(Prm|Eff|Inh|Amb):' /proc/self/status
echo fake-true-ran
EOF
chmod 0755 "$home/bin/true"
chown -R bob:bob "$home/bin"
run run_as bob env PATH="$home/bin:/usr/bin:/bin" "$PN" -m 0 true
begin attack-path-fake-true
want_rc 0
want_out_has fake-true-ran
want "the fake true ran with capabilities: $(cap_lines "$OUT")" caps_zero "$OUT"
end

m=$(marker)
run run_as bob env PATH="$home/bin:/usr/bin:/bin" "$PN" -m cxl0 true
begin attack-path-private
want_rc 3
want "the fake true ran although bob may not use cxl0" sh -c '! printf "%s" "$1" | grep -q fake-true-ran' - "$OUT"
end

for label in cxl1 cxl0; do
    m=$(marker)
    run run_as bob "$PN" -p "$label" workload 64 "$m"
    begin "attack-label-$label"
    want_rc 3
    want_err_has "($label)"
    want_err_has "not allowed"
    want_no_marker "$m"
    end
done

# migrate of another user's process.
run_as alice sleep 40 </dev/null >/dev/null 2>&1 &
victim=$!
i=0
while ! grep -qE '^Uid:[[:space:]]+1001' /proc/$victim/status 2>/dev/null && [ "$i" -lt 50 ]; do
    i=$((i + 1)); usleep 100000 2>/dev/null || sleep 1
done
before=$(grep -E '^Mems_allowed_list' /proc/$victim/status)
run run_as bob "$PN" migrate "$victim" --to 1
if printf '%s' "$ERR" | grep -qi "not available"; then
    fail attack-migrate-other-user "migrate not available: $(printf '%s' "$ERR" | head -1)"
else
    begin attack-migrate-other-user
    want "want exit 3 or 1, got $RC" sh -c '[ "$1" = 3 ] || [ "$1" = 1 ]' - "$RC"
    want_err_has "^privnuma:"
    want_err_has "$victim"
    want "alice's process is gone" [ -d /proc/$victim ]
    end
fi
kill "$victim" 2>/dev/null
wait "$victim" 2>/dev/null

rm -rf "$home/reg" "$home/sys" "$home/cg" "$home/bin"
rm -f /tmp/cxl1.conf.saved
fence_teardown
