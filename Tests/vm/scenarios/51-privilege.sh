# Launching on a cpuset-fenced private node through an installed privnuma
# (DESIGN §8), after `fence apply` (guest/fence.sh):
#   getcap                 the binary carries cap_dac_override,cap_sys_nice=p
#   alice -m cxl0          (she is in cram) pages on node 2 (all), bind:2; the
#                          command runs in /privnuma.slice/cxl0 as alice, with
#                          CapPrm, CapEff, CapInh and CapAmb all zero
#   alice -p cxl0          prefer:2, pages on node 2
#   alice, started in a cgroup below cxl0's: stays there, pages on node 2
#   alice, plain binary    the same launch without file capabilities cannot
#                          join the opt-in cgroup: exit 1, says how to install
#   bob -m cxl0 / -m 2     refused, exit 3, nothing runs
#   setuid root install    alice's launch works the same and the child has
#                          alice's ids in all four places and no capability
#   a 0600 registry file   alice's nodes --json through either install cannot
#                          read it (exit 1, the file named) and never shows its
#                          Description, which root's nodes --json does show
#
# cases: privilege-setcap privilege-alice-membind privilege-alice-preferred
# cases: privilege-stays-in-opt-in-subtree privilege-needed-to-join
# cases: privilege-bob-refused privilege-bob-refused-by-number privilege-setuid-alice
# cases: privilege-setuid-bob-refused privilege-reads-as-caller-setcap
# cases: privilege-reads-as-caller-setuid privilege-loader-env-plain
# cases: privilege-loader-env-setcap privilege-loader-env-setuid
# cases: privilege-audit-root-complete privilege-audit-reads-as-caller-setcap
# cases: privilege-audit-reads-as-caller-setuid

. /vm/fence.sh

have_privnuma privilege-setcap || exit 0
if ! fence_setup || [ "$APPLY_RC" != 0 ]; then
    fail privilege-setcap "setup failed (fence apply exit ${APPLY_RC:-?}): $APPLY_OUT"
    fence_teardown
    exit 0
fi

run getcap "$PN"
begin privilege-setcap
want_rc 0
want "getcap shows '$OUT', want cap_dac_override,cap_sys_nice=p" \
    sh -c 'printf "%s" "$1" | grep -q "cap_dac_override,cap_sys_nice=p"' - "$OUT"
end

# The command prints where it runs, its ids and capabilities, then execs the workload.
probe='cat /proc/self/cgroup; grep -E "^(Uid|Gid|Cap[A-Za-z]+):" /proc/self/status; exec workload 64 "$0"'

m=$(marker)
run run_as alice "$PN" -m cxl0 sh -c "$probe" "$m"
begin privilege-alice-membind
want_rc 0
want_policy bind:2
want_all 2
want "the command ran in '$(printf '%s\n' "$OUT" | grep '^0::')', want 0::/privnuma.slice/cxl0" \
    sh -c 'printf "%s\n" "$1" | grep -qx "0::/privnuma.slice/cxl0"' - "$OUT"
want "the command's capabilities are not all zero: $(cap_lines "$OUT")" caps_zero "$OUT"
want "the command does not run as alice: $(printf '%s\n' "$OUT" | grep ^Uid | tr '\t' ' ')" \
    sh -c 'printf "%s\n" "$1" | grep -qE "^Uid:[[:space:]]+1001[[:space:]]+1001[[:space:]]+1001[[:space:]]+1001$"' - "$OUT"
want "the workload did not start" [ -e "$m" ]
end

run run_as alice "$PN" -p cxl0 workload 64
begin privilege-alice-preferred
want_rc 0
want_policy prefer:2
want_all 2
end

# Started inside the opt-in cgroup's subtree already (as a job under a systemd
# scope in an opt-in slice would be): the launch leaves it where it is.
job=$CG/privnuma.slice/cxl0/job
mkdir -p "$job"
run sh -c 'echo $$ > "$1/cgroup.procs" && exec run_as alice "$2" -m cxl0 sh -c "cat /proc/self/cgroup; exec workload 16"' - "$job" "$PN"
begin privilege-stays-in-opt-in-subtree
want_rc 0
want_policy bind:2
want_all 2
want "the command ran in '$(printf '%s\n' "$OUT" | grep '^0::')', want 0::/privnuma.slice/cxl0/job" \
    sh -c 'printf "%s\n" "$1" | grep -qx "0::/privnuma.slice/cxl0/job"' - "$OUT"
end
rmdir "$job" 2>/dev/null

# Without file capabilities alice cannot write the root-owned cgroup.procs.
m=$(marker)
run run_as alice /usr/bin/privnuma -m cxl0 workload 64 "$m"
begin privilege-needed-to-join
want_rc 1
want_err_has "cannot join the opt-in cgroup"
want_err_has "file capabilities"
want_no_marker "$m"
end

m=$(marker)
run run_as bob "$PN" -m cxl0 workload 64 "$m"
begin privilege-bob-refused
want_rc 3
want_err_has "node 2 (cxl0)"
want_err_has "AllowGroups"
want_no_marker "$m"
end

m=$(marker)
run run_as bob "$PN" -m 2 workload 64 "$m"
begin privilege-bob-refused-by-number
want_rc 3
want_no_marker "$m"
end

# The other way of installing: setuid root.
suid=/usr/local/bin/privnuma-suid
cp /usr/bin/privnuma "$suid" && chown root:root "$suid" && chmod 4755 "$suid"
m=$(marker)
run run_as alice "$suid" -m cxl0 sh -c "$probe" "$m"
begin privilege-setuid-alice
want_rc 0
want_policy bind:2
want_all 2
want "the command ran in '$(printf '%s\n' "$OUT" | grep '^0::')', want 0::/privnuma.slice/cxl0" \
    sh -c 'printf "%s\n" "$1" | grep -qx "0::/privnuma.slice/cxl0"' - "$OUT"
want "the command's capabilities are not all zero: $(cap_lines "$OUT")" caps_zero "$OUT"
want "the command kept root ids: $(printf '%s\n' "$OUT" | grep -E '^(Uid|Gid)' | tr '\t\n' '  ')" \
    sh -c 'printf "%s\n" "$1" | grep -qE "^Uid:[[:space:]]+1001[[:space:]]+1001[[:space:]]+1001[[:space:]]+1001$" &&
           printf "%s\n" "$1" | grep -qE "^Gid:[[:space:]]+1001[[:space:]]+1001[[:space:]]+1001[[:space:]]+1001$"' - "$OUT"
end

m=$(marker)
run run_as bob "$suid" -m cxl0 workload 64 "$m"
begin privilege-setuid-bob-refused
want_rc 3
want_no_marker "$m"
end

# The loader's variables never reach a command launched with privilege (the
# C library starts privnuma in secure mode and removes them), while a plain
# install passes them through, which shows the probe can see them.
for install in plain:/usr/bin/privnuma setcap:$PN setuid:$suid; do
    run run_as alice env LD_PRELOAD=/tmp/preload.so LD_LIBRARY_PATH=/tmp/lib \
        "${install#*:}" -m 0 sh -c 'env | grep "^LD_" | sort'
    begin "privilege-loader-env-${install%%:*}"
    want_rc 0
    if [ "${install%%:*}" = plain ]; then
        want "the plain install lost the variables: got '$OUT'" \
            [ "$OUT" = "$(printf 'LD_LIBRARY_PATH=/tmp/lib\nLD_PRELOAD=/tmp/preload.so')" ]
    else
        want "the launched command saw: $(printf '%s' "$OUT" | tr '\n' ' ')" [ -z "$OUT" ]
    fi
    end
done

# Read-only commands read with the caller's rights too: alice cannot read
# root's /proc/PID/numa_maps, so her audit through either install is
# incomplete and exits 1, while root's audit of the same machine is complete.
run privnuma audit --json
begin privilege-audit-root-complete
want_rc 0
want "root's audit: complete is '$(jsonq complete < "$_T/out" 2>&1)', want true" \
    [ "$(jsonq complete < "$_T/out")" = true ]
end
for install in setcap:$PN setuid:$suid; do
    run run_as alice "${install#*:}" audit
    begin "privilege-audit-reads-as-caller-${install%%:*}"
    want_rc 1
    want_out_has "could not be read"
    end
done

# Read-only commands read with the caller's rights from the first instruction
# on (a setuid install takes alice's uid as effective uid before reading
# anything): a registry file root keeps to itself (0600, as an administrator
# may hide who a node is for) cannot be read by alice, so her `nodes --json` through
# either install stops (exit 1, names the file) and never shows its contents.
# Independent of privnuma: alice's own cat is refused, and root's `nodes --json`
# shows the Description, so a privnuma that read it with root's rights would
# print it.
secret="root-only-expander-$$"
printf 'Description=%s\n' "$secret" >> "$REG/60-cxl1.conf"
chmod 0600 "$REG/60-cxl1.conf"
run run_as alice cat "$REG/60-cxl1.conf"
alice_cat_rc=$RC
run privnuma nodes --json
root_out=$OUT
for install in setcap:$PN setuid:$suid; do
    run run_as alice "${install#*:}" nodes --json
    begin "privilege-reads-as-caller-${install%%:*}"
    want "alice's cat of the 0600 file exited $alice_cat_rc, want it refused" [ "$alice_cat_rc" != 0 ]
    want "root's nodes does not show the Description, so the probe shows nothing: $root_out" \
        sh -c 'printf "%s" "$1" | grep -q "$2"' - "$root_out" "$secret"
    want_rc 1
    want_err_has "cannot open $REG/60-cxl1.conf: EACCES"
    want_err_has "chmod 0644 $REG/60-cxl1.conf"
    want "alice's nodes showed the root-only file's Description" \
        sh -c '! printf "%s" "$1" | grep -q "$2"' - "$OUT$ERR" "$secret"
    end
done
chmod 0644 "$REG/60-cxl1.conf"

fence_teardown
