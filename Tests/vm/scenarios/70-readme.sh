# The README's commands for machines with several nodes (its blocks marked
# <!-- vm -->), run as written; Tests/shell/readme.sh checks that each of them
# is in this file.  The guest runs as root, so a small `sudo` on PATH just
# runs the command.
# The README's systemd commands run against the real systemd in the systemd
# guest (Tests/vm/systemd/scenarios/70-systemd-readme.sh), its srun commands
# against the real Slurm there (35-slurm-readme.sh).
# ./app is the workload: 64 MiB touched, its policy and pages per node printed.
#
#   registry   install the example file, privnuma nodes
#   fence      fence apply --dry-run changes nothing; fence apply; fence status
#   launch     alice (in cram) -p cxl0: prefer:2, pages on node 2
#   audit      audit and stat after that
#
# cases: readme-registry-directory readme-registry-install readme-registry-nodes
# cases: readme-fence-dry-run readme-fence-apply readme-fence-status
# cases: readme-launch-preferred readme-audit readme-stat

. /vm/fence.sh

have_privnuma readme || exit 0

work=/tmp/readme
rm -rf "$work"
mkdir -p "$work/shims" "$work/examples"
chmod 0755 "$work"
cd "$work" || exit 0

cat > shims/sudo <<'EOF'
#!/bin/sh
exec "$@"
EOF

cat > app <<'EOF'
#!/bin/sh
exec workload 64
EOF
chmod 0755 shims/* app

umask 022
cat > examples/50-cxl0.conf <<'EOF'
[Node]
Id=2
Label=cxl0
Kind=expander
Capabilities=migration mempolicy reclaim demotion
AllowGroups=cram
Cgroup=privnuma.slice/cxl0
MinFree=256M
Description=CXL type-3 expander, slot 4
EOF

export PATH="$work/shims:/usr/local/bin:$PATH"

# privnuma as `make install PRIVILEGE=setcap` leaves it, and every cgroup's
# cpuset.mems saved for fence_teardown.
install_privnuma() {
    mkdir -p /usr/local/bin &&
        cp /usr/bin/privnuma /usr/local/bin/privnuma &&
        chmod 0755 /usr/local/bin/privnuma &&
        setcap cap_dac_override,cap_sys_nice+p /usr/local/bin/privnuma || return 1
    : > "$_saved_mems"
    local d
    for d in "$CG"/*/; do
        [ -f "$d/cpuset.mems" ] && echo "${d%/} $(cat "$d/cpuset.mems")" >> "$_saved_mems"
    done
    return 0
}

if ! install_privnuma; then
    fail readme-registry "cannot install privnuma with file capabilities in /usr/local/bin"
    exit 0
fi

# --- Declaring a node in the registry ---------------------------------------
run sudo mkdir -p /etc/privnuma/nodes.d
begin readme-registry-directory
want_rc 0
end
run sudo cp examples/50-cxl0.conf /etc/privnuma/nodes.d/
begin readme-registry-install
want_rc 0
want "the registry file is not in place" [ -f /etc/privnuma/nodes.d/50-cxl0.conf ]
end

run privnuma nodes
begin readme-registry-nodes
want_rc 0
want "no row for node 2 as cxl0, an expander fenced by cpuset: $OUT" \
    sh -c 'printf "%s\n" "$1" | grep -qE "^2 +cxl0 +expander +cpuset "' - "$OUT"
end

# Every cgroup's cpuset.mems, to see what the dry run changed (nothing).
all_mems() {
    find "$CG" -name cpuset.mems | sort | while read -r f; do echo "$f $(cat "$f")"; done
}

# --- Fencing it -------------------------------------------------------------
before=$(all_mems)
run sudo privnuma fence apply --dry-run
begin readme-fence-dry-run
want_rc 0
want "--dry-run created the opt-in cgroup" [ ! -d "$CG/privnuma.slice/cxl0" ]
want "--dry-run changed a cgroup's cpuset.mems" [ "$before" = "$(all_mems)" ]
want_out_has "would"
end

run sudo privnuma fence apply
begin readme-fence-apply
want_rc 0
want "no opt-in cgroup $CG/privnuma.slice/cxl0" [ -d "$CG/privnuma.slice/cxl0" ]
r2=$(reachers 2 /privnuma.slice/cxl0)
want "after apply, processes outside the opt-in cgroup may still allocate on node 2: $r2" [ -z "$r2" ]
end

run privnuma fence status
begin readme-fence-status
want_rc 0
want_out_has "node 2 (cxl0): fenced"
end

run run_as alice privnuma -p cxl0 -- ./app
begin readme-launch-preferred
want_rc 0
want_policy prefer:2
want_all 2
end

# --- Auditing ---------------------------------------------------------------
# The kernel's own account, read from every process's numa_maps.
h2=$(holders 2 /privnuma.slice/cxl0)
run sudo privnuma audit
begin readme-audit
want "processes outside the opt-in cgroup hold pages on node 2 ($h2): the scenario broke the fence" [ -z "$h2" ]
want_rc 0
want_out_has "clean"
end

h2=$(holders 2)
run sudo privnuma stat
begin readme-stat
want_rc 0
want "stat's line for node 2 is '$(printf '%s\n' "$OUT" | grep '^node 2 ')', numa_maps shows $(echo $h2 | wc -w) processes with pages there ($h2)" \
    sh -c 'printf "%s\n" "$1" | grep -q "^node 2 (cxl0): $2 process"' - "$OUT" "$(echo $h2 | wc -w)"
end

fence_teardown

rm -rf /etc/privnuma /usr/local/bin/privnuma

cd /
rm -rf "$work"
