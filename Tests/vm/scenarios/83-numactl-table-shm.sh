# numactl's System V shared-memory policies (--shm with --length, --offset,
# --shmid, --shmmode, --huge, --touch) through numactl and privnuma; the
# placement is read from numa_maps of a process attaching the segment
# (guest/numactl-table.sh).
# cases: numactl-table-shm-interleave numactl-table-shm-interleave-later
# cases: numactl-table-shm-membind numactl-table-shm-preferred
# cases: numactl-table-shm-local numactl-table-shm-shmid
# cases: numactl-table-shm-offset numactl-table-shm-huge
# cases: numactl-table-shm-existing numactl-table-shm-mode
# cases: numactl-table-shm-policy-first numactl-table-shm-no-length
# cases: numactl-table-shm-with-command numactl-table-shm-cpubind
# vm-timeout: 150
. /vm/numactl-table.sh
numactl_table_hugepages
numactl_table <<'ROWS'
# name                | expect | setup | options and command
shm-interleave        | same | | --length 4M --shm @K -i 0-3 --touch
shm-interleave-later  | same | | --length 4M --shm @K -i 0-3
shm-membind           | same | | --length 2M --shm @K -m 2 --touch
shm-preferred         | privnuma=prefer:3 | | --length 2M --shm @K -p 3 --touch
shm-local             | same | | --length 2M --shm @K -l --touch
shm-shmid             | same | | --length 2M --shmid 5 --shm @K -m 1 --touch
shm-offset            | same | | --length 2M --offset 1M --shm @K -m 2 --touch
shm-huge              | same | | --huge --length 4M --shm @K -m 2 --touch
shm-existing          | same | --length 2M --shm @K | --shm @K -i 0,1 --touch
shm-mode              | same | | --shmmode 0640 --length 2M --shm @K -m 3
shm-policy-first      | same | | -m 2 --length 2M --shm @K
shm-no-length         | same | | --shm @K -m 2
shm-with-command      | same | | --length 2M --shm @K -m 2 true
shm-cpubind           | same | | -N 0 --length 2M --shm @K -m 2
ROWS
numactl_table_cleanup
