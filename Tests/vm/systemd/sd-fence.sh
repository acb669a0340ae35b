# The registry of the systemd guest's scenarios, sourced after lib.sh and systemd.sh:
# the busybox guest's (/vm/fence.sh), with systemd slices as opt-in cgroups:
#
#   node 2  cxl0  AllowGroups=cram (alice)  Cgroup=privnuma.slice/privnuma-cxl0.slice
#   node 3  cxl1  AllowUsers=root           Cgroup=privnuma.slice/privnuma-cxl1.slice
#
#   sd_registry       write it
#   sd_teardown       fence removed (privnuma fence remove: drop-ins gone, emptied
#                     opt-in slices stopped), registry gone
#   sd_eff CGROUP     cpuset.mems.effective of /sys/fs/cgroup/CGROUP
#   UNITS             /etc/systemd/system

. /vm/fence.sh

UNITS=/etc/systemd/system

sd_registry() {
    fence_registry privnuma.slice/privnuma- .slice
}

sd_teardown() {
    local out
    out=$(privnuma fence remove 2>&1) || echo "VM-WARN privnuma fence remove failed: $out"
    rm -rf /etc/privnuma
}

sd_eff() {
    cat "/sys/fs/cgroup/$1/cpuset.mems.effective" 2>/dev/null || echo "(no cpuset.mems.effective)"
}
