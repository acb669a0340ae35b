# The guest itself, before any tool is judged on it: four nodes with the
# intended layout, the users and groups, and the cpuset controller.  If one of
# these fails, the failures of later scenarios say little.
#
# cases: guest-topology guest-user-alice guest-user-bob guest-cpuset guest-kernel

sysnode=/sys/devices/system/node
begin guest-topology
want "nodes online: want 0-3, got '$(cat $sysnode/online)'" [ "$(cat $sysnode/online)" = 0-3 ]
want "node 0 cpus: want 0, got '$(cat $sysnode/node0/cpulist)'" [ "$(cat $sysnode/node0/cpulist)" = 0 ]
want "node 1 cpus: want 1, got '$(cat $sysnode/node1/cpulist)'" [ "$(cat $sysnode/node1/cpulist)" = 1 ]
want "node 2 should have no cpu" [ -z "$(cat $sysnode/node2/cpulist)" ]
want "node 3 should have no cpu" [ -z "$(cat $sysnode/node3/cpulist)" ]
want "nodes with memory: want 0-3, got '$(cat $sysnode/has_memory)'" [ "$(cat $sysnode/has_memory)" = 0-3 ]
want "distances of node 2: want '30 30 10 40', got '$(cat $sysnode/node2/distance)'" \
    [ "$(cat $sysnode/node2/distance)" = "30 30 10 40" ]
end

run run_as alice id
begin guest-user-alice
want_rc 0
want "want uid 1001 and group cram, got '$OUT'" sh -c 'echo "$1" | grep -q "uid=1001(alice)" && echo "$1" | grep -q "2001(cram)"' - "$OUT"
end

run run_as bob id
begin guest-user-bob
want_rc 0
want "want uid 1002 without group cram, got '$OUT'" sh -c 'echo "$1" | grep -q "uid=1002(bob)" && ! echo "$1" | grep -q cram' - "$OUT"
end

begin guest-cpuset
want "cpuset controller not enabled in /sys/fs/cgroup/cgroup.subtree_control" \
    grep -qw cpuset /sys/fs/cgroup/cgroup.subtree_control
end

# The kernel is the one the host meant to boot (Tests/vm/kernels runs the suite on
# Debian 12's 6.1 and 6.12); the note records what this kernel offers.
begin guest-kernel
want "the guest runs Linux $(uname -r), the host booted $(cat /vm/kernel-release)" \
    [ "$(uname -r)" = "$(cat /vm/kernel-release)" ]
if [ -d /sys/kernel/mm/mempolicy/weighted_interleave ]; then wi=yes; else wi=no; fi
note "Linux $(uname -r); weighted_interleave sysfs: $wi; memory tiers: $(ls /sys/devices/virtual/memory_tiering 2>/dev/null | grep -c '^memory_tier')"
end
