# The dax guest itself: nodes 2 and 3 are soft-reserved "specific purpose"
# memory that device-dax exposes as dax0.0 and dax1.0 (devdax mode), not yet
# NUMA nodes; Debian's daxctl sees them the same way.
#
# cases: dax-guest-layout dax-guest-daxctl

sysnode=/sys/devices/system/node
dax=/sys/bus/dax/devices
begin dax-guest-layout
want "nodes online: want 0-1 before any onlining, got '$(cat $sysnode/online)'" [ "$(cat $sysnode/online)" = 0-1 ]
want "possible nodes: want 0-3, got '$(cat $sysnode/possible)'" [ "$(cat $sysnode/possible)" = 0-3 ]
want "dax0.0 should target node 2, got '$(cat $dax/dax0.0/target_node 2>&1)'" [ "$(cat $dax/dax0.0/target_node 2>/dev/null)" = 2 ]
want "dax1.0 should target node 3, got '$(cat $dax/dax1.0/target_node 2>&1)'" [ "$(cat $dax/dax1.0/target_node 2>/dev/null)" = 3 ]
want "dax0.0 should be 512 MiB, got '$(cat $dax/dax0.0/size 2>&1)'" [ "$(cat $dax/dax0.0/size 2>/dev/null)" = 536870912 ]
want "dax0.0 should be bound to device_dax" [ "$(basename "$(readlink $dax/dax0.0/driver)")" = device_dax ]
want "hot-added memory should stay offline (auto_online_blocks: '$(cat /sys/devices/system/memory/auto_online_blocks)')" \
    [ "$(cat /sys/devices/system/memory/auto_online_blocks)" = offline ]
end

run daxctl list -D
begin dax-guest-daxctl
want_rc 0
want "daxctl should list dax0.0 in devdax mode: $OUT" sh -c 'echo "$1" | tr -d " \n" | grep -q "\"chardev\":\"dax0.0\".*\"target_node\":2.*\"mode\":\"devdax\""' - "$OUT"
end
