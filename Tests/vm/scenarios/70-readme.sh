# The README's commands for machines with several nodes (its blocks marked
# <!-- vm -->), run as written; Tests/shell/readme.sh checks that each of them
# is in this file.  The guest lacks some tools the README assumes; a small
# stand-in on PATH does what the tool does to the machine:
#   sudo         the guest runs as root: runs the command
#   systemctl    set-property SLICE AllowedMemoryNodes=LIST: what systemd
#                writes, the slice's cpuset.mems (a-b.slice is a.slice/a-b.slice),
#                with the cpuset controller enabled above it
#   systemd-run  --scope --slice=SLICE [--uid=USER] CMD: a transient scope
#                cgroup in the slice, then CMD in it (as USER)
# The stand-in systemd enables only the cpuset controller; real systemd also
# enables others (memory, pids) on its slices.
# ./app is the workload: 64 MiB touched, its policy and pages per node printed.
#
#   registry   install the example file, privnuma nodes
#   fence      fence apply --dry-run changes nothing; fence apply; fence status
#   launch     alice (in cram) -p cxl0: prefer:2, pages on node 2
#   audit      audit and stat after that
#   systemd    slices with AllowedMemoryNodes=, the registry's Cgroup= a slice,
#              systemd-run --scope as alice: prefer:2, pages on node 2
#
# cases: readme-registry-directory readme-registry-install readme-registry-nodes
# cases: readme-fence-dry-run readme-fence-apply readme-fence-status
# cases: readme-launch-preferred readme-audit readme-stat readme-systemd-system.slice
# cases: readme-systemd-user.slice readme-systemd-machine.slice
# cases: readme-systemd-opt-in-slice readme-systemd-run-scope

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

# A slice's cgroup below the mount, systemd's way: a-b.slice is a.slice/a-b.slice.
slice_path='
slice_path() {
    local name=${1%.slice} acc= path= part
    for part in $(echo "$name" | tr - " "); do
        acc=${acc:+$acc-}$part
        path=${path:+$path/}$acc.slice
    done
    echo "$path"
}'

cat > shims/systemctl <<EOF
#!/bin/sh
$slice_path
EOF
cat >> shims/systemctl <<'EOF'
[ "$1" = set-property ] && [ $# -eq 3 ] || { echo "systemctl stand-in: only set-property SLICE AllowedMemoryNodes=LIST" >&2; exit 2; }
case $2 in *.slice) ;; *) echo "systemctl stand-in: $2 is not a slice" >&2; exit 2 ;; esac
case $3 in AllowedMemoryNodes=*) ;; *) echo "systemctl stand-in: $3 is not supported" >&2; exit 2 ;; esac
dir=/sys/fs/cgroup
for part in $(slice_path "$2" | tr / " "); do
    grep -qw cpuset "$dir/cgroup.subtree_control" || echo +cpuset > "$dir/cgroup.subtree_control" || exit 1
    dir=$dir/$part
    mkdir -p "$dir" || exit 1
done
echo "${3#*=}" > "$dir/cpuset.mems"
EOF

cat > shims/systemd-run <<EOF
#!/bin/sh
$slice_path
EOF
cat >> shims/systemd-run <<'EOF'
scope= slice= uid=
while [ $# -gt 0 ]; do
    case $1 in
        --scope) scope=1 ;;
        --slice=*) slice=${1#*=} ;;
        --uid=*) uid=${1#*=} ;;
        -*) echo "systemd-run stand-in: $1 is not supported" >&2; exit 2 ;;
        *) break ;;
    esac
    shift
done
[ -n "$scope" ] && [ -n "$slice" ] || { echo "systemd-run stand-in: needs --scope and --slice" >&2; exit 2; }
dir=/sys/fs/cgroup/$(slice_path "$slice")/run-$$.scope
mkdir -p "$dir" && echo $$ > "$dir/cgroup.procs" || exit 1
[ -n "$uid" ] && exec run_as "$uid" "$@"
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

# --- Under systemd ----------------------------------------------------------
if ! install_privnuma; then
    fail readme-systemd "cannot install privnuma with file capabilities in /usr/local/bin"
    exit 0
fi
mkdir -p /etc/privnuma/nodes.d
sed 's|^Cgroup=.*|Cgroup=privnuma.slice/privnuma-cxl0.slice|' examples/50-cxl0.conf > /etc/privnuma/nodes.d/50-cxl0.conf

# slice_has SLICE: a case on the last run: exit 0 and the slice's cpuset.mems 0-1.
slice_has() {
    begin "readme-systemd-$1"
    want_rc 0
    want "$1 has cpuset.mems '$(cat "$CG/$1/cpuset.mems" 2>&1)', want 0-1" \
        [ "$(cat "$CG/$1/cpuset.mems" 2>/dev/null)" = 0-1 ]
    end
}
run sudo systemctl set-property system.slice AllowedMemoryNodes=0-1
slice_has system.slice
run sudo systemctl set-property user.slice AllowedMemoryNodes=0-1
slice_has user.slice
run sudo systemctl set-property machine.slice AllowedMemoryNodes=0-1
slice_has machine.slice
run sudo systemctl set-property privnuma-cxl0.slice AllowedMemoryNodes=0-2
begin readme-systemd-opt-in-slice
want_rc 0
want "privnuma-cxl0.slice has cpuset.mems.effective '$(cat "$CG/privnuma.slice/privnuma-cxl0.slice/cpuset.mems.effective" 2>&1)', want 0-2" \
    [ "$(cat "$CG/privnuma.slice/privnuma-cxl0.slice/cpuset.mems.effective" 2>/dev/null)" = 0-2 ]
end

run sudo systemd-run --scope --slice=privnuma-cxl0.slice --uid=alice privnuma -p cxl0 -- ./app
begin readme-systemd-run-scope
want_rc 0
want_policy prefer:2
want_share 2 95
end

# Everything back: processes to the root cgroup, the slices removed.
for d in $(find "$CG/privnuma.slice" "$CG/system.slice" "$CG/user.slice" "$CG/machine.slice" -depth -type d 2>/dev/null); do
    for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do echo "$pid" > "$CG/cgroup.procs" 2>/dev/null; done
    rmdir "$d" 2>/dev/null
done
rm -rf /etc/privnuma /usr/local/bin/privnuma

cd /
rm -rf "$work"
