# The systemd part of the demo, run by /vm/runner in the systemd guest
# (PHASE 0, then PHASE 1 after a reboot).  Plain words for someone who knows
# systemd but not privnuma.

say() { echo "$*"; }
rule() { echo "------------------------------------------------------------------"; }
shown() { echo "    \$ $*"; "$@" 2>&1 | sed 's/^/    /'; }

mkdir -p /etc/privnuma/nodes.d
cat > /etc/privnuma/nodes.d/50-cxl0.conf <<'CONF'
[Node]
Id=2
Label=cxl0
Kind=expander
Capabilities=migration mempolicy
AllowGroups=cram
Cgroup=privnuma.slice/privnuma-cxl0.slice
CONF

case $PHASE in
0)
    rule
    say "This machine runs Debian 12 with systemd $(systemctl --version | awk 'NR == 1 { print $2 }') as PID 1, on the same"
    say "four NUMA nodes. Node 2 is declared private (cxl0, for group cram), with the"
    say "opt-in slice privnuma-cxl0.slice. The fence is systemd configuration:"
    say
    shown privnuma fence apply
    say
    say "systemd now applies AllowedMemoryNodes= itself, to every slice:"
    shown systemctl show -P AllowedMemoryNodes system.slice user.slice init.scope privnuma-cxl0.slice
    shown cat /sys/fs/cgroup/system.slice/cpuset.mems.effective
    rule
    say "A service opts in by living in the slice; privnuma runs inside the unit:"
    cat > /etc/systemd/system/demo-app.service <<'UNIT'
[Service]
Type=oneshot
User=alice
Slice=privnuma-cxl0.slice
ExecStart=/usr/bin/privnuma -p cxl0 -- /bin/sh -c 'cat /proc/self/cgroup; workload 32'
StandardOutput=file:/tmp/demo-app.out
UNIT
    systemctl daemon-reload
    shown systemctl start demo-app.service
    say "    its output:"
    sed 's/^/      /' /tmp/demo-app.out
    rule
    say "Now the machine reboots; nothing of privnuma runs at boot."
    echo demo > "$KEEP/rebooted"
    reboot_guest 1
    ;;
1)
    say "After the reboot systemd has fenced every slice again from the drop-ins:"
    shown systemctl show -P AllowedMemoryNodes system.slice user.slice init.scope
    shown cat /sys/fs/cgroup/init.scope/cpuset.mems.effective
    shown privnuma fence status
    rule
    privnuma fence remove >/dev/null 2>&1
    rm -rf /etc/privnuma /etc/systemd/system/demo-app.service
    ;;
esac
