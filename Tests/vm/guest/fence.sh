# Helpers for the fence and privilege scenarios (50-53), sourced after lib.sh.
#
#   fence_setup     install privnuma as `make install PRIVILEGE=setcap` would
#                   ($PN, cap_dac_override,cap_sys_nice+p), declare nodes 2 and 3
#                   private with the cpuset backend, run `fence apply` as root;
#                   its output in $APPLY_OUT, status in $APPLY_RC
#   fence_save_mems note the top-level cgroups' cpuset.mems (fence_setup does)
#   fence_teardown  put everything back: processes to the root cgroup, the
#                   cgroups privnuma made removed, other cgroups' cpuset.mems
#                   as they were, registry and installed binary gone
#   caps_zero TEXT  true when the Cap{Prm,Eff,Inh,Amb} lines of a
#                   /proc/PID/status text are all zero
#   cap_lines TEXT  those lines, on one line, for failure reasons
#
# Names: $PN (the setcap install), $REG (registry directory), $CG (cgroup
# mount), $_saved_mems (what fence_save_mems wrote).
#
# The registry (fence_registry [PREFIX [SUFFIX]]; also the systemd guest's,
# there with the slices privnuma.slice/privnuma-cxl0.slice, ...):
#   node 2  cxl0  AllowGroups=cram (alice)   Cgroup=PREFIXcxl0SUFFIX
#   node 3  cxl1  AllowUsers=root            Cgroup=PREFIXcxl1SUFFIX
#   PREFIX defaults to privnuma.slice/, SUFFIX to nothing.

PN=/usr/local/bin/privnuma
REG=/etc/privnuma/nodes.d
CG=/sys/fs/cgroup
_saved_mems=/tmp/fence-saved-mems

fence_registry() {
    local prefix=${1-privnuma.slice/} suffix=${2-}
    mkdir -p "$REG" || return 1
    chmod 0755 /etc/privnuma "$REG"
    cat > "$REG/50-cxl0.conf" <<EOF || return 1
# CXL expander on node 2, for the cram group.
[Node]
Id=2
Label=cxl0
Kind=expander
Capabilities=migration mempolicy
AllowGroups=cram
Cgroup=${prefix}cxl0$suffix
EOF
    cat > "$REG/60-cxl1.conf" <<EOF || return 1
# CXL expander on node 3, for root only.
[Node]
Id=3
Label=cxl1
Kind=expander
Capabilities=migration mempolicy
AllowUsers=root
Cgroup=${prefix}cxl1$suffix
EOF
    chown -R root:root /etc/privnuma
    chmod 0644 "$REG"/*.conf
}

fence_setup() {
    mkdir -p /usr/local/bin || return 1
    cp /usr/bin/privnuma "$PN" && chown root:root "$PN" && chmod 0755 "$PN" || return 1
    setcap cap_dac_override,cap_sys_nice+p "$PN" || return 1
    fence_registry || return 1
    fence_save_mems
    APPLY_OUT=$("$PN" fence apply 2>&1)
    APPLY_RC=$?
    return 0
}

# The top-level cgroups' cpuset.mems, for fence_teardown to put back.
fence_save_mems() {
    local d
    : > "$_saved_mems"
    for d in "$CG"/*/; do
        [ -f "$d/cpuset.mems" ] && echo "${d%/} $(cat "$d/cpuset.mems")" >> "$_saved_mems"
    done
}

# Moves every process of cgroup $1 (and its children) to the root cgroup.
_empty_cgroup() {
    local d pid
    for d in $(find "$1" -depth -type d 2>/dev/null); do
        for pid in $(cat "$d/cgroup.procs" 2>/dev/null); do
            echo "$pid" > "$CG/cgroup.procs" 2>/dev/null
        done
    done
}

fence_teardown() {
    local d i line
    for d in "$CG/privnuma-general" "$CG/privnuma.slice"; do
        [ -d "$d" ] || continue
        i=0
        while [ "$i" -lt 10 ]; do
            _empty_cgroup "$d"
            # Deepest first; a cgroup that just lost its last process may take a moment.
            find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
            [ -d "$d" ] || break
            i=$((i + 1))
            sleep 1
        done
        [ -d "$d" ] && echo "VM-WARN cannot remove $d: $(cat "$d/cgroup.procs" | tr '\n' ' ')"
    done
    if [ -f "$_saved_mems" ]; then
        while read -r d line; do
            [ -d "$d" ] && echo "$line" > "$d/cpuset.mems" 2>/dev/null
        done < "$_saved_mems"
        rm -f "$_saved_mems"
    fi
    rm -rf /etc/privnuma "$PN" /usr/local/bin/privnuma-suid
    return 0
}

cap_lines() {
    printf '%s\n' "$1" | grep -E '^Cap(Prm|Eff|Inh|Amb):' | tr -s '\t\n' '  '
}

caps_zero() {
    local n
    n=$(printf '%s\n' "$1" | grep -cE '^Cap(Prm|Eff|Inh|Amb):[[:space:]]*0+$')
    [ "$n" -eq 4 ]
}
