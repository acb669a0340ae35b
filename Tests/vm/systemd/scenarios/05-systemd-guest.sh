# The systemd guest itself: systemd 252 is PID 1 and the system is up, the
# four-node layout, cgroup v2 with the cpuset controller, the users, the
# hostname on a non-loopback address, the Slurm and munge programs, and a
# reboot that keeps the disk.
# cases: systemd-guest systemd-guest-reboot
case $PHASE in
0)
    begin systemd-guest
    want "PID 1 is $(cat /proc/1/comm), not systemd" [ "$(cat /proc/1/comm)" = systemd ]
    v=$(systemctl --version | awk 'NR == 1 { print $2 }')
    want "systemd $v, want 252" [ "$v" = 252 ]
    s=$(systemctl is-system-running)
    want "system state $s (failed: $(systemctl --failed --plain --no-legend | awk '{print $1}' | tr '\n' ' '))" \
        [ "$s" = running ]
    want "nodes $(cat /sys/devices/system/node/online), want 0-3" [ "$(cat /sys/devices/system/node/online)" = 0-3 ]
    want "node 2 has cpus" [ -z "$(cat /sys/devices/system/node/node2/cpulist)" ]
    want "/sys/fs/cgroup is not cgroup2" [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]
    want "no cpuset controller" grep -qw cpuset /sys/fs/cgroup/cgroup.controllers
    want "alice is not in cram" sh -c 'id -nG alice | grep -qw cram'
    want "bob is in cram" sh -c '! id -nG bob | grep -qw cram'
    addr=$(getent hosts "$(hostname)" | awk '{print $1}')
    want "$(hostname) resolves to '$addr', want 10.77.0.1" [ "$addr" = 10.77.0.1 ]
    want "10.77.0.1 is not on dummy0" sh -c 'ip -4 addr show dummy0 | grep -q "inet 10.77.0.1/"'
    for p in slurmd slurmctld srun munged numactl setcap apt-get privnuma workload jsonq; do
        want "$p is missing" sh -c "command -v $p >/dev/null"
    done
    run run_as alice id -u
    want "run_as alice: uid $OUT" [ "$OUT" = 1001 ]
    end
    cat /proc/sys/kernel/random/boot_id > "$KEEP/boot_id"
    reboot_guest 1
    ;;
1)
    begin systemd-guest-reboot
    want "no file kept across the reboot" [ -s "$KEEP/boot_id" ]
    want "same boot id after the reboot" [ "$(cat "$KEEP/boot_id")" != "$(cat /proc/sys/kernel/random/boot_id)" ]
    s=$(systemctl is-system-running)
    want "system state after the reboot: $s" [ "$s" = running ]
    end
    ;;
esac
