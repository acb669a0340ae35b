# numactl's device node specifications (the guest's NVMe disk sits behind a
# PCI expander bridge on node 1) and --show, through numactl and privnuma
# (guest/numactl-table.sh).
# cases: numactl-table-block-device numactl-table-block-cpus
# cases: numactl-table-file-device numactl-table-pci-device
# cases: numactl-table-no-such-netdev numactl-table-show
# cases: numactl-table-show-after-policy numactl-table-show-interleave
# cases: numactl-block-node
# vm-timeout: 120
. /vm/numactl-table.sh
numactl_table <<'ROWS'
# name                | expect | setup | options and command
block-device          | same | | -m block:nvme0n1 @W
block-cpus            | same | | -N block:nvme0n1 -m block:nvme0n1 @W
file-device           | same | | -p file:/dev/nvme0n1 @W
pci-device            | same | | -i pci:0000:10:00.0 @W
no-such-netdev        | same | | -m netdev:eth9 @W
show                  | same | | -s
show-after-policy     | same | | -p 1 -C 0 -s
show-interleave       | same | | -i 0-3 --show
ROWS
numactl_table_cleanup

# The node privnuma names for the disk is the one sysfs gives it.
if have_privnuma numactl-block-node; then
    node=$(cat /sys/class/block/nvme0n1/device/device/numa_node 2>/dev/null || cat /sys/class/block/nvme0n1/device/numa_node 2>/dev/null)
    run privnuma explain -m block:nvme0n1
    begin numactl-block-node
    want_rc 0
    want "the disk's sysfs numa_node is '$node', want 1" [ "$node" = 1 ]
    want_out_has "set_mempolicy(MPOL_BIND, nodes 1)"
    end
fi
