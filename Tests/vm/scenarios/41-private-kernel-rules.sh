# More rules for kernel-private nodes, on the same RFC-v4 view as
# 40-private-kernel (a tmpfs copy of /sys/devices/system/node with
# has_private_memory = 2-3 and has_memory = 0-2, bind-mounted over the real
# one), with the registry changed between cases:
#
#   no registry        the kernel's nodes alone: labels node2/node3, anyone
#                      may prefer node 2, node 3 is refused
#   registry says 3 takes policies, kernel does not
#                      the disagreement is shown, the launch refused (exit 3)
#   MinFree            a reserve above the node's free memory refuses (exit 3),
#                      a small one does not
#   AllowUsers=alice   alice may, bob may not
#   -b                 needs numa-balancing (exit 3 without it)
#
# The real sysfs and an empty registry are put back at the end.
#
# cases: private-rules-setup private-noregistry-nodes private-noregistry-preferred
# cases: private-noregistry-refuses-3 private-noregistry-interleave-all
# cases: private-disagreement-refused private-disagreement-shown
# cases: private-disagreement-json private-reserve-refused private-reserve-allowed
# cases: private-allowusers-alice private-allowusers-bob private-balancing-refused
# cases: private-balancing-allowed private-rules-cleanup

. /vm/rfcv4.sh
fake=/tmp/private-node-sysfs-rules
registry=/etc/privnuma/nodes.d

rules_setup() { rfcv4_mount "$fake"; }
rules_cleanup() { rfcv4_unmount "$fake"; }

# declare_node FILE LINES...: a registry file of the given lines.
declare_node() {
    local file=$1
    shift
    mkdir -p "$registry"
    printf '%s\n' "[Node]" "$@" > "$registry/$file"
}

if ! have_privnuma private-rules-setup; then
    exit 0
fi
rm -rf /etc/privnuma
if ! rules_setup; then
    fail private-rules-setup "cannot build the RFC-v4 view of $sysnode (tmpfs copy, bind mount)"
    rules_cleanup
    exit 0
fi
pass private-rules-setup

# --- no registry: the kernel's private nodes alone --------------------------

run run_as bob privnuma nodes --json
begin private-noregistry-nodes
want_rc 0
two=$(json_index 2)
three=$(json_index 3)
want "node 2 label: want node2, got '$(j nodes.$two.label)'" [ "$(j nodes.$two.label)" = node2 ]
want "node 3 label: want node3, got '$(j nodes.$three.label)'" [ "$(j nodes.$three.label)" = node3 ]
want "node 2 bindable: want true, got '$(j nodes.$two.bindable)'" [ "$(j nodes.$two.bindable)" = true ]
want "node 3 bindable: want false, got '$(j nodes.$three.bindable)'" [ "$(j nodes.$three.bindable)" = false ]
want "node 2 allowed for bob: want true, got '$(j nodes.$two.allowed)'" [ "$(j nodes.$two.allowed)" = true ]
end

run run_as bob privnuma -p node2 workload 32
begin private-noregistry-preferred
want_rc 0
want_policy prefer:2
want_all 2
end

m=$(marker)
run run_as bob privnuma -m 3 workload 32 "$m"
begin private-noregistry-refuses-3
want_rc 3
want_err_has "^privnuma:"
want_err_has "node 3"
want_no_marker "$m"
end

run privnuma -i all workload 32
begin private-noregistry-interleave-all
want_rc 0
want_policy interleave:0-1
want_none 2-3
end

# --- the registry says node 3 takes policies; the kernel does not -----------

declare_node 60-zram0.conf Id=3 Label=zram0 "Capabilities=migration mempolicy"
m=$(marker)
run privnuma -p zram0 workload 32 "$m"
begin private-disagreement-refused
want_rc 3
want_err_has "zram0"
want_err_has "has_memory"
want_no_marker "$m"
end

run privnuma nodes
begin private-disagreement-shown
want_rc 0
want "no 'warning: node 3 (zram0): ...' line" grep -q '^warning: node 3 (zram0):' "$_T/out"
end

run privnuma nodes --json
begin private-disagreement-json
want_rc 0
three=$(json_index 3)
want "node 3 bindable: want false, got '$(j nodes.$three.bindable)'" [ "$(j nodes.$three.bindable)" = false ]
want "node 3 disagreements: want one, got '$(j -n nodes.$three.disagreements)'" [ "$(j -n nodes.$three.disagreements)" = 1 ]
end
rm -f "$registry/60-zram0.conf"

# --- MinFree against the node's free memory ---------------------------------

declare_node 50-cxl0.conf Id=2 Label=cxl0 "Capabilities=migration mempolicy" MinFree=1T
m=$(marker)
run privnuma -p cxl0 workload 32 "$m"
begin private-reserve-refused
want_rc 3
want_err_has "MinFree"
want_err_has "cxl0"
want_no_marker "$m"
end

declare_node 50-cxl0.conf Id=2 Label=cxl0 "Capabilities=migration mempolicy" MinFree=1M
run privnuma -p cxl0 workload 32
begin private-reserve-allowed
want_rc 0
want_policy prefer:2
want_all 2
end

# --- AllowUsers --------------------------------------------------------------

declare_node 50-cxl0.conf Id=2 Label=cxl0 "Capabilities=migration mempolicy" AllowUsers=alice
run run_as alice privnuma -p cxl0 workload 32
begin private-allowusers-alice
want_rc 0
want_policy prefer:2
want_all 2
end

m=$(marker)
run run_as bob privnuma -p cxl0 workload 32 "$m"
begin private-allowusers-bob
want_rc 3
want_err_has "AllowUsers=alice"
want_no_marker "$m"
end

# --- --balancing needs numa-balancing ----------------------------------------

m=$(marker)
run run_as alice privnuma -b -m cxl0 workload 32 "$m"
begin private-balancing-refused
want_rc 3
want_err_has "numa-balancing"
want_no_marker "$m"
end

declare_node 50-cxl0.conf Id=2 Label=cxl0 "Capabilities=migration mempolicy numa-balancing"
run run_as alice privnuma -q -b -m cxl0 workload 32
begin private-balancing-allowed
want_rc 0
want_policy bind=balancing:2
want_all 2
end

# --- put the machine back ----------------------------------------------------

rules_cleanup
begin private-rules-cleanup
want "$sysnode is still the copy (has_private_memory present)" [ ! -e "$sysnode/has_private_memory" ]
want "has_memory: want 0-3 after cleanup, got '$(cat $sysnode/has_memory)'" [ "$(cat $sysnode/has_memory)" = 0-3 ]
want "/etc/privnuma still there" [ ! -e /etc/privnuma ]
end
