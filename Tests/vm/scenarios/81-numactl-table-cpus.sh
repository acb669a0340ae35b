# numactl's CPU bindings, their combinations, and mistakes through numactl and
# privnuma (guest/numactl-table.sh).  Rows whose CPUs span both nodes also set a
# policy: under the default one, pages go to the node of whichever CPU the
# scheduler picked.
# cases: numactl-table-cpunodebind numactl-table-cpunodebind-long
# cases: numactl-table-cpunodebind-all numactl-table-cpubind-old
# cases: numactl-table-cpubind-old-long numactl-table-physcpubind
# cases: numactl-table-physcpubind-long numactl-table-physcpubind-relative
# cases: numactl-table-physcpubind-all numactl-table-physcpubind-range
# cases: numactl-table-nodebind-then-cpus numactl-table-cpus-then-nodebind
# cases: numactl-table-nodebind-same numactl-table-balancing
# cases: numactl-table-conflicting-policies numactl-table-no-such-node
# cases: numactl-table-no-options numactl-table-double-dash
# cases: numactl-table-status-passes numactl-table-not-found
# vm-timeout: 150
. /vm/numactl-table.sh
numactl_table <<'ROWS'
# name                | expect | setup | options and command
cpunodebind           | same | | -N 1 @W
cpunodebind-long      | same | | --cpunodebind=0 @W
cpunodebind-all       | same | | -N all -m 0 @W
cpubind-old           | same | | -c 1 @W
cpubind-old-long      | same | | --cpubind=0 @W
physcpubind           | same | | -C 1 @W
physcpubind-long      | same | | --physcpubind=0 @W
physcpubind-relative  | same | | -C +1 @W
physcpubind-all       | same | | -C all -m 0 @W
physcpubind-range     | same | | -C 0-1 -i 0,1 @W
nodebind-then-cpus    | same | | -N 0 -C 1 @W
cpus-then-nodebind    | same | | -C 1 -N 0 @W
nodebind-same         | same | | -N 1 -m same @W
balancing             | same | | -b -m 0,1 -C 0 @W
conflicting-policies  | same | | -m 0 -i 1 @W
no-such-node          | same | | -m 9 @W
no-options            | same | | true
double-dash           | same | | -- true
status-passes         | same | | -m 0 -- sh -c 'exit 3'
not-found             | same | | -m 0 no-such-program
ROWS
numactl_table_cleanup
