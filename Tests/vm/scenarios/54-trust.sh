# Trust under privilege (DESIGN §8, privnuma.conf(5) SECURITY and ERRORS), tried
# by bob (not in cram) through the setcap install ($PN) and a setuid root install,
# on the registry of guest/fence.sh (node 2 cxl0 for cram, node 3 cxl1 for root):
#   --registry DIR         a root-owned stale copy without Allow keys: refused,
#                          exit 3, for a launch and for the queries; root may
#   parent owned by bob    /etc/privnuma chowned to bob: refused, exit 3, the
#                          parent named, for alice too
#   FUSE                   fuse.ko loaded with insmod; Tests/vm/fakefs (the raw
#                          /dev/fuse protocol) mounted over the registry as a
#                          mount made for bob, serving a root-owned 0644 file
#                          that allows bob on cxl0: refused, exit 3, nothing runs;
#                          the same mount made by root (user_id=0): refused alike
#   names                  AllowGroups= names a group /etc/group lacks: nodes and
#                          check warn that it could not be resolved, bob refused
#   resolver attack        Tests/vm/forge runs privnuma and attaches (ptrace) to
#                          any child it starts to forge "ldapcram:x:1002:", the
#                          answer getent would give if bob were in the group:
#                          privnuma starts none, bob stays refused; the same
#                          helper does forge a getent bob starts himself
#   escaped names          a process named with terminal escapes holding node-2
#                          pages outside the opt-in cgroup: audit and stat print
#                          the name with \xNN escapes, no raw ESC byte
#   broken file            70-hbm.conf declares node 1 with a typo: -m 0 still
#                          runs (warning with file:line), -m 1 refused (exit 3),
#                          cxl0 still works for alice, nodes exits 2,
#                          hardware --json carries registry_errors
#   missing registry       nodes and fence status say the directory is missing
#
# cases: trust-registry-option-setcap trust-registry-option-setuid
# cases: trust-registry-option-queries trust-registry-option-root
# cases: trust-parent-owned-by-user-setcap trust-parent-owned-by-user-setuid
# cases: trust-fuse-setcap trust-fuse-setuid trust-unresolved-name
# cases: trust-fuse-root-mount-setcap trust-fuse-root-mount-setuid
# cases: trust-resolver-attack-control trust-resolver-attack-setcap
# cases: trust-resolver-attack-setuid
# cases: trust-escaped-name-audit trust-escaped-name-stat
# cases: trust-broken-file-general trust-broken-file-node
# cases: trust-broken-file-other-node trust-broken-file-queries
# cases: trust-missing-registry

. /vm/fence.sh

have_privnuma trust-registry-option-setcap || exit 0
if ! fence_setup || [ "$APPLY_RC" != 0 ]; then
    fail trust-registry-option-setcap "setup failed (fence apply exit ${APPLY_RC:-?}): $APPLY_OUT"
    fence_teardown
    exit 0
fi
suid=/usr/local/bin/privnuma-suid
cp /usr/bin/privnuma "$suid" && chown root:root "$suid" && chmod 4755 "$suid"
installs="setcap:$PN setuid:$suid"

# --- --registry --------------------------------------------------------------

# A stale root-owned copy of the registry without the access rules.
stale=/etc/privnuma/nodes.d.bak
mkdir -p "$stale"
sed '/^Allow/d' "$REG/60-cxl1.conf" > "$stale/60-cxl1.conf"
chmod 0644 "$stale/60-cxl1.conf"
for install in $installs; do
    m=$(marker)
    run run_as bob "${install#*:}" --registry "$stale" -m cxl1 workload 64 "$m"
    begin "trust-registry-option-${install%%:*}"
    want_rc 3
    want_err_has "--registry $stale is not accepted"
    want_err_has "reads only the configured registry $REG"
    want_no_marker "$m"
    end
done
begin trust-registry-option-queries
for words in "nodes" "check cxl1" "audit" "stat" "fence status" "show" "hardware"; do
    # shellcheck disable=SC2086
    run run_as bob "$PN" $words --registry "$stale"
    [ "$RC" = 3 ] || _unmet "'privnuma $words --registry' exited $RC, want 3: $ERR"
    printf '%s' "$ERR" | grep -q "is not accepted" || _unmet "'privnuma $words --registry' did not say why: $ERR"
done
end
run "$PN" --registry "$stale" -m cxl1 true
begin trust-registry-option-root
want_rc 0
end
rm -rf "$stale"

# --- a parent directory the user owns -----------------------------------------

chown bob /etc/privnuma
for install in $installs; do
    m=$(marker)
    run run_as bob "${install#*:}" -m cxl0 workload 64 "$m"
    begin "trust-parent-owned-by-user-${install%%:*}"
    want_rc 3
    want_err_has "insecure registry: /etc/privnuma is owned by uid 1002, not root"
    want_no_marker "$m"
    run run_as alice "${install#*:}" -m cxl0 true
    [ "$RC" = 3 ] || _unmet "alice's launch exited $RC with a parent owned by bob, want 3"
    end
done
chown root /etc/privnuma

# --- a registry on FUSE ---------------------------------------------------------

fuse_ko=/lib/modules/$(uname -r)/kernel/fs/fuse/fuse.ko
[ -e /dev/fuse ] || insmod "$fuse_ko" 2>/dev/null
fake=/tmp/fake-cxl0.conf
cat > "$fake" <<'EOF'
[Node]
Id=2
Label=cxl0
Capabilities=migration mempolicy
AllowUsers=bob
Cgroup=privnuma.slice/cxl0
EOF
# fuse_refused PREFIX UID: fakefs mounted over the registry as UID's mount
# (its super options say user_id=UID) serves the fake file as root-owned 0644;
# bob's launch through each install is refused (cases PREFIX-setcap and
# PREFIX-setuid) and nothing runs.
fuse_refused() {
    local prefix=$1 uid=$2 install m listing options
    if ! fakefs "$REG" 50-cxl0.conf "$fake" "$uid"; then
        for install in $installs; do fail "$prefix-${install%%:*}" "fakefs could not mount over $REG for uid $uid"; done
        return
    fi
    listing=$(ls -ln "$REG" 2>&1 | tr '\n' ' ')
    options=$(awk -v m="$REG" '$5 == m { print $NF }' /proc/self/mountinfo)
    for install in $installs; do
        m=$(marker)
        run run_as bob "${install#*:}" -m cxl0 workload 64 "$m"
        begin "$prefix-${install%%:*}"
        note "the mount shows: $listing; super options: $options"
        want "the FUSE mount does not show a root-owned 0644 file: $listing" \
            sh -c 'ls -ln "$1" | grep -qE "^-rw-r--r-- +1 +0 +0 .*50-cxl0.conf"' - "$REG"
        want "the mount's super options '$options' do not say user_id=$uid" \
            sh -c 'printf "%s" "$1" | grep -q "user_id=$2,"' - "$options" "$uid"
        want_rc 3
        want_err_has "insecure registry: $REG is on a FUSE file system (fuse.fakefs at $REG)"
        want_no_marker "$m"
        end
    done
    umount "$REG"
}

if [ ! -e /dev/fuse ]; then
    for case in trust-fuse-setcap trust-fuse-setuid trust-fuse-root-mount-setcap trust-fuse-root-mount-setuid; do
        fail "$case" "no /dev/fuse after insmod $fuse_ko"
    done
else
    # Mounted by bob's uid, as a user's FUSE daemon would.
    fuse_refused trust-fuse 1002
    # A FUSE mount root made (user_id=0, as a daemon root starts would make it):
    # no user_id= of a user and nothing in /etc/fstab, so only the FUSE rule
    # stands between bob and the file it serves.
    fuse_refused trust-fuse-root-mount 0
fi
rm -f "$fake"

# --- names that do not resolve ----------------------------------------------------

cp "$REG/50-cxl0.conf" /tmp/cxl0.conf.saved
sed -i 's|^AllowGroups=.*|AllowGroups=ldapcram cram|' "$REG/50-cxl0.conf"
run run_as bob "$PN" nodes
begin trust-unresolved-name
want_rc 0
want_out_has "AllowGroups name 'ldapcram' could not be resolved"
want_out_has "reads names only from /etc/passwd and /etc/group"
m=$(marker)
run run_as bob "$suid" -m cxl0 workload 64 "$m"
want_rc 3
want_no_marker "$m"
run run_as alice "$PN" check cxl0
[ "$RC" = 0 ] || _unmet "alice (in cram) was refused: exit $RC: $ERR"
printf '%s' "$ERR" | grep -q "'ldapcram' could not be resolved" || _unmet "check did not warn about ldapcram: $ERR"
end

# The attack on the resolver: ldapcram only (getent, under nsswitch's
# "group: files systemd", finds nothing; forge makes it answer bob's gid).
sed -i 's|^AllowGroups=.*|AllowGroups=ldapcram|' "$REG/50-cxl0.conf"
begin trust-resolver-attack-control
tries=0
until [ "$tries" -ge 3 ]; do
    tries=$((tries + 1))
    run run_as bob forge "ldapcram:x:1002:" sh -c 'getent group ldapcram; true'
    printf '%s' "$OUT" | grep -qx "ldapcram:x:1002:" && break
done
want "forge did not make a getent bob started answer his gid in $tries tries: $OUT" \
    sh -c 'printf "%s\n" "$1" | grep -qx "ldapcram:x:1002:"' - "$OUT"
end
for install in $installs; do
    m=$(marker)
    run run_as bob forge "ldapcram:x:1002:" "${install#*:}" -m cxl0 workload 64 "$m"
    begin "trust-resolver-attack-${install%%:*}"
    want_rc 3
    want_err_has "forge: attached to 0 process(es)"
    want_err_has "'ldapcram' could not be resolved"
    want_no_marker "$m"
    end
done
cp /tmp/cxl0.conf.saved "$REG/50-cxl0.conf"
chmod 0644 "$REG/50-cxl0.conf"
rm -f /tmp/cxl0.conf.saved

# --- process names with terminal escapes ----------------------------------------

esc=$(printf '\033')
ready=$(marker)
# The shell names itself (its comm) with an OSC title and a clear-screen sequence,
# then holds 8 MiB on node 2 from the root cgroup (which fence apply cannot
# restrict): outside cxl0's opt-in cgroup, so audit reports it.
sh -c 'echo $$ > "$1/cgroup.procs" && exec numactl -m 2 sh -c '"'"'printf "ev\033]0;pwn\007\033[2J" > /proc/self/comm
    v=$(head -c 8388608 /dev/zero | tr "\0" a); : > "$1"; sleep 600; :'"'"' holder "$2"' - "$CG" "$ready" \
    </dev/null >/dev/null 2>&1 &
holder=$!
i=0
while [ ! -e "$ready" ] && [ "$i" -lt 200 ]; do i=$((i + 1)); usleep 100000 2>/dev/null || sleep 1; done
run "$PN" audit
begin trust-escaped-name-audit
[ -e "$ready" ] || _unmet "the holder (pid $holder) did not fill its 8 MiB on node 2"
want_rc 1
want "audit does not list the holder $holder: $OUT" sh -c 'printf "%s" "$1" | grep -q "$2"' - "$OUT" "$holder"
want "audit printed the name unescaped" sh -c '! printf "%s" "$1" | grep -q "$2"' - "$OUT$ERR" "$esc"
want "audit does not show the escaped name" sh -c 'printf "%s" "$1" | grep -qF "$2"' - "$OUT" 'ev\x1B]0;pwn\x07\x1B[2J'
end
run "$PN" stat "$holder"
begin trust-escaped-name-stat
want "stat printed the name unescaped" sh -c '! printf "%s" "$1" | grep -q "$2"' - "$OUT$ERR" "$esc"
want "stat does not show the escaped name: $OUT $ERR" sh -c 'printf "%s" "$1" | grep -qF "$2"' - "$OUT$ERR" 'ev\x1B]0;pwn'
end
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

# --- a broken registry file -------------------------------------------------------

cat > "$REG/70-hbm.conf" <<'EOF'
# HBM on node 1, for the hpc group; Capabilities has a typo.
[Node]
Id=1
Label=hbm
Capabilities=migration mempolcy
AllowGroups=hpc
EOF
chmod 0644 "$REG/70-hbm.conf"
run run_as bob "$PN" -m 0 workload 16
begin trust-broken-file-general
want_rc 0
want_policy bind:0
want_err_has "warning: $REG/70-hbm.conf:5: unknown capability 'mempolcy'"
end
begin trust-broken-file-node
for install in $installs; do
    m=$(marker)
    run run_as bob "${install#*:}" -m 1 workload 16 "$m"
    [ "$RC" = 3 ] || _unmet "${install%%:*}: -m 1 exited $RC, want 3: $ERR"
    printf '%s' "$ERR" | grep -qF "node 1 (node1) is mentioned by a registry file with errors ($REG/70-hbm.conf:5" ||
        _unmet "${install%%:*}: the refusal does not name the broken file: $ERR"
    [ -e "$m" ] && _unmet "${install%%:*}: the workload ran on node 1"
done
run run_as bob "$PN" -i all workload 16
want "-i all used node 1 or failed (exit $RC): $(printf '%s' "$OUT" | grep ^policy)" \
    sh -c 'printf "%s\n" "$1" | grep -qx "policy interleave:0"' - "$OUT"
end
run run_as alice "$PN" -m cxl0 workload 16
begin trust-broken-file-other-node
want_rc 0
want_policy bind:2
end
begin trust-broken-file-queries
run run_as bob "$PN" nodes
[ "$RC" = 2 ] || _unmet "nodes exited $RC, want 2"
printf '%s' "$ERR" | grep -q "^privnuma: $REG/70-hbm.conf:5: " || _unmet "nodes did not name file:line: $ERR"
run run_as bob "$PN" hardware --json
[ "$RC" = 0 ] || _unmet "hardware --json exited $RC, want 0: $ERR"
[ "$(jsonq registry_errors.0.line < "$_T/out" 2>/dev/null)" = 5 ] || _unmet "hardware --json has no registry_errors at line 5: $OUT"
run run_as bob "$PN" -H
[ "$RC" = 0 ] || _unmet "-H exited $RC, want 0: $ERR"
run "$PN" fence apply
[ "$RC" = 2 ] || _unmet "fence apply with a broken file exited $RC, want 2 (changing nothing)"
end
rm -f "$REG/70-hbm.conf"

# --- a missing registry ---------------------------------------------------------

mv "$REG" /etc/privnuma/nodes.d.away
begin trust-missing-registry
run run_as bob "$PN" nodes
printf '%s' "$OUT" | grep -q "the registry $REG does not exist" || _unmet "nodes did not say the registry is missing: $OUT"
run run_as bob "$PN" fence status
printf '%s' "$OUT" | grep -q "the registry $REG does not exist" || _unmet "fence status did not say the registry is missing: $OUT"
end
mv /etc/privnuma/nodes.d.away "$REG"

fence_teardown
