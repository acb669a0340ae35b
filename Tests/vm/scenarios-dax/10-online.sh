# privnuma online/offline on memory that arrives at run time: node 2 exists only
# as dax0.0 until `privnuma online dax0.0` fences it and onlines it to
# ZONE_MOVABLE; alice's opted-in launch then lands there and nobody else's
# pages do. A failure half way (kmem unloaded) leaves the device as it was.
#
# cases: dax-hardware-before dax-nodes-dax-only dax-fence-ahead dax-online dax-hardware-after
# cases: dax-online-alice dax-online-bob-refused dax-online-audit dax-offline dax-online-rollback
. /vm/fence.sh
have_privnuma dax-online || exit 0
sysnode=/sys/devices/system/node
dax=/sys/bus/dax/devices

fence_registry
run privnuma hardware --json
begin dax-hardware-before
want_rc 0
want "dax_only_nodes should be '2 3', got '$(echo "$OUT" | jsonq dax_only_nodes)'" [ "$(echo "$OUT" | jsonq dax_only_nodes)" = "2 3" ]
want "dax0.0 should be devdax with target node 2" sh -c '[ "$(echo "$1" | jsonq dax_devices.0.state)" = devdax ] && [ "$(echo "$1" | jsonq dax_devices.0.target_node)" = 2 ]' - "$OUT"
end
run privnuma nodes
begin dax-nodes-dax-only
want_rc 0
want_out_has "exists only as a dax device"
want_out_has "privnuma online dax0.0"
end

# The fence goes in place before the memory exists.
fence_setup
begin dax-fence-ahead
want "fence apply: rc $APPLY_RC: $APPLY_OUT" [ "$APPLY_RC" = 0 ]
want "fence apply should say node 2 is fenced ahead: $APPLY_OUT" sh -c 'echo "$1" | grep -q "fenced ahead"' - "$APPLY_OUT"
want "init should have left the root cgroup" [ "$(cat /proc/1/cgroup)" = "0::/privnuma-general" ]
end

run privnuma online dax0.0
begin dax-online
want_rc 0
want_out_has "fencing node 2"
want_out_has "ZONE_MOVABLE"
want_out_has "no process outside it has a page there"
want "node 2 should have memory: has_memory '$(cat $sysnode/has_memory)'" grep -q '2' $sysnode/has_memory
want "every block of node 2 should be Movable: $(cat $sysnode/node2/memory*/valid_zones | sort -u | tr '\n' ' ')" \
    [ "$(cat $sysnode/node2/memory*/valid_zones | sort -u)" = Movable ]
want "opt-in cgroup should have node 2: $(cat $CG/privnuma.slice/cxl0/cpuset.mems.effective)" \
    grep -q 2 $CG/privnuma.slice/cxl0/cpuset.mems.effective
want "general cgroup must not have node 2: $(cat $CG/privnuma-general/cpuset.mems.effective)" \
    [ "$(cat $CG/privnuma-general/cpuset.mems.effective)" = 0-1 ]
end

run privnuma hardware --json
begin dax-hardware-after
want "dax0.0 should be system-ram, got $(echo "$OUT" | jsonq dax_devices.0.state)" [ "$(echo "$OUT" | jsonq dax_devices.0.state)" = system-ram ]
want "node 2's zones should be Movable, got '$(echo "$OUT" | jsonq nodes.2.zones)'" [ "$(echo "$OUT" | jsonq nodes.2.zones)" = Movable ]
want "node 2 should have a memory tier" sh -c '[ -n "$(echo "$1" | jsonq nodes.2.memory_tier)" ]' - "$OUT"
want "dax_only_nodes should be '3', got '$(echo "$OUT" | jsonq dax_only_nodes)'" [ "$(echo "$OUT" | jsonq dax_only_nodes)" = 3 ]
end

run run_as alice "$PN" -m cxl0 workload 64
begin dax-online-alice
want_rc 0
# A bind never spills: every page on node 2, as on memory that was there at boot.
want_policy bind:2
want_all 2
end
run run_as bob "$PN" -m cxl0 workload 16
begin dax-online-bob-refused
want_rc 3
end
run memhog 200m
run privnuma audit
begin dax-online-audit
want_rc 0
want_out_has "violations: none"
end

run privnuma offline dax0.0
begin dax-offline
want_rc 0
want "dax0.0 should be back on device_dax" [ "$(basename "$(readlink $dax/dax0.0/driver)")" = device_dax ]
want "node 2 should have no memory: $(cat $sysnode/has_memory)" [ "$(cat $sysnode/has_memory)" = 0-1 ]
end
# Half way: kmem gone, so dax1.0 cannot leave device_dax for it; nothing stays changed.
rmmod kmem 2>/dev/null
run privnuma online dax1.0
begin dax-online-rollback
want_rc 1
want_err_has "went back offline"
want "dax1.0 should be back on device_dax: $(readlink $dax/dax1.0/driver)" [ "$(basename "$(readlink $dax/dax1.0/driver)")" = device_dax ]
want "node 3 should have no memory: $(cat $sysnode/has_memory)" sh -c '! grep -q 3 '$sysnode'/has_memory'
end
insmod /lib/modules/$(uname -r)/kernel/drivers/dax/kmem.ko 2>/dev/null

fence_teardown
