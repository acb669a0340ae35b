# The registry of the systemd guest's scenarios, sourced after lib.sh and systemd.sh:
#
#   node 2  cxl0  AllowGroups=cram (alice)  Cgroup=privnuma.slice/privnuma-cxl0.slice
#   node 3  cxl1  AllowUsers=root           Cgroup=privnuma.slice/privnuma-cxl1.slice
#
#   sd_registry       write it
#   sd_teardown       fence removed (privnuma fence remove), registry gone
#   sd_eff CGROUP     cpuset.mems.effective of /sys/fs/cgroup/CGROUP
#   UNITS             /etc/systemd/system

UNITS=/etc/systemd/system
REG=/etc/privnuma/nodes.d

sd_registry() {
    mkdir -p "$REG" || return 1
    cat > "$REG/50-cxl0.conf" <<'CONF'
[Node]
Id=2
Label=cxl0
Kind=expander
Capabilities=migration mempolicy
AllowGroups=cram
Cgroup=privnuma.slice/privnuma-cxl0.slice
CONF
    cat > "$REG/60-cxl1.conf" <<'CONF'
[Node]
Id=3
Label=cxl1
Kind=expander
Capabilities=migration mempolicy
AllowUsers=root
Cgroup=privnuma.slice/privnuma-cxl1.slice
CONF
    chmod 0644 "$REG"/*.conf
}

sd_teardown() {
    privnuma fence remove >/dev/null 2>&1
    rm -rf /etc/privnuma
}

sd_eff() {
    cat "/sys/fs/cgroup/$1/cpuset.mems.effective" 2>/dev/null || echo "(no cpuset.mems.effective)"
}
