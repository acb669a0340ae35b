# Every example of numactl(8) (2.0.16) through numactl and privnuma
# (guest/numactl-table.sh).  On this 2-CPU guest without a network device the
# first and the netdev: example fail for both; "--interleave=all --shm" fails
# for both too (numactl wants the policy after --shm, as its usage says); and
# "--localalloc /dev/shm/file" runs the file as a program in both.
# cases: numactl-table-man-physcpubind numactl-table-man-physcpubind-here
# cases: numactl-table-man-interleave-all
# cases: numactl-table-man-cpunodebind-membind
# cases: numactl-table-man-option-after-dashes numactl-table-man-balancing
# cases: numactl-table-man-netdev numactl-table-man-preferred-show
# cases: numactl-table-man-preferred-many-show numactl-table-man-shm
# cases: numactl-table-man-shm-as-usage-says numactl-table-man-dd
# cases: numactl-table-man-dd-two-nodes numactl-table-man-localalloc-file
# vm-timeout: 120
. /vm/numactl-table.sh
numactl_table <<'ROWS'
# name                  | expect | setup | options and command
man-physcpubind         | same | | --physcpubind=+0-4,8-12 @W
man-physcpubind-here    | same | | --physcpubind=+0-1 -m 0 @W
man-interleave-all      | same | | --interleave=all @W
man-cpunodebind-membind | same | | --cpunodebind=0 --membind=0,1 @W
man-option-after-dashes | same | | --cpunodebind=0 --membind=0,1 -- sh -c 'exec workload 2' -l
man-balancing           | same | | --cpunodebind=0 --balancing --membind=0,1 @W
man-netdev              | same | | --cpunodebind=netdev:eth0 --membind=netdev:eth0 @W
man-preferred-show      | same | | --preferred=1 numactl --show
man-preferred-many-show | same | | --preferred-many=0x3 numactl --show
man-shm                 | same | | --interleave=all --shm @K
man-shm-as-usage-says   | same | | --length 4M --shm @K --interleave=all --touch
man-dd                  | same | | --membind=2 dd if=/dev/zero of=@F bs=1M count=4
man-dd-two-nodes        | same | --membind=2 dd if=/dev/zero of=@F bs=1M count=2 | --membind=3 dd if=/dev/zero of=@F seek=2 bs=1M count=2
man-localalloc-file     | same | --length 1M --file @F -m 2 | --localalloc @F
ROWS
numactl_table_cleanup
