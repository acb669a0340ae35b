# numactl's memory policies and NODES forms through numactl and privnuma
# (guest/numactl-table.sh).  Multi-node bindings run on CPU 0 so that both
# tools start from the same local node.
# cases: numactl-table-membind numactl-table-membind-long
# cases: numactl-table-membind-glued numactl-table-membind-list
# cases: numactl-table-membind-range numactl-table-membind-all
# cases: numactl-table-membind-relative numactl-table-membind-hex
# cases: numactl-table-preferred numactl-table-preferred-long
# cases: numactl-table-preferred-two numactl-table-preferred-many
# cases: numactl-table-interleave-all numactl-table-interleave-range
# cases: numactl-table-interleave-list numactl-table-interleave-invert
# cases: numactl-table-interleave-all-a numactl-table-localalloc
# cases: numactl-table-localalloc-long numactl-table-weighted-interleave
# vm-timeout: 150
. /vm/numactl-table.sh
numactl_table <<'ROWS'
# name                | expect | setup | options and command
membind               | same | | -m 2 @W
membind-long          | same | | --membind=2 @W
membind-glued         | same | | -m2 @W
membind-list          | same | | -m 0,1 -C 0 @W
membind-range         | same | | -m 0-3 -C 0 @W
membind-all           | same | | -m all -C 0 @W
membind-relative      | same | | -m +1 @W
membind-hex           | same | | -m 0x2 @W
preferred             | same | | -p 3 @W
preferred-long        | same | | --preferred=1 @W
preferred-two         | same | | -p 0,1 @W
preferred-many        | same | | -P 2,3 -C 0 @W
interleave-all        | same | | -i all @W
interleave-range      | same | | -i 0-3 @W
interleave-list       | same | | --interleave=0,2 @W
interleave-invert     | same | | -i '!0' @W
interleave-all-a      | same | | -a -i all @W
localalloc            | same | | -l -C 1 @W
localalloc-long       | same | | --localalloc -C 0 @W
weighted-interleave   | same | | -w 0-3 @W
ROWS
numactl_table_cleanup
