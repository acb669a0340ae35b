# numactl's policies on files (--file in tmpfs and hugetlbfs, with --length,
# --offset, --strict, --touch, --dump, --dump-nodes) through numactl and
# privnuma; placement from numa_maps of a process mapping the file
# (guest/numactl-table.sh).
# cases: numactl-table-file-membind numactl-table-file-interleave
# cases: numactl-table-file-preferred numactl-table-file-local
# cases: numactl-table-file-offset numactl-table-file-strict
# cases: numactl-table-file-no-length numactl-table-file-dump
# cases: numactl-table-file-dump-nodes numactl-table-file-misaligned
# cases: numactl-table-hugetlbfs numactl-table-hugetlbfs-interleave
# cases: numactl-table-dump-without-shm numactl-table-touch-before-file
# cases: numactl-table-length-for-process numactl-table-file-offset-grows
# vm-timeout: 150
. /vm/numactl-table.sh
numactl_table_hugepages
numactl_table <<'ROWS'
# name                | expect | setup | options and command
file-membind          | same | | --length 4M --file @F -m 2 --touch
file-interleave       | same | | --length 4M --file @F -i 0-3
file-preferred        | privnuma=prefer:1 | | --length 2M --file @F -p 1 --touch
file-local            | same | | --length 2M --file @F -l --touch
file-offset           | same | --length 3M --file @F -m 2 | --length 2M --offset 1M --file @F -m 3 --touch
# numactl refuses --touch unless --offset is below --length (a check made for
# segments); privnuma covers offset to offset+length and grows the file to it
file-offset-grows     | privnuma=bind:2 N2=50% N3=50% | --length 1M --file @F -m 2 --touch | --length 1M --offset 1M --file @F -m 3 --touch
file-strict           | same | --length 2M --file @F -m 2 --touch | --length 2M --file @F --strict -m 1
file-no-length        | same | | --file @F -m 0
file-dump             | same | --length 2M --file @F -m 2 --touch | --length 2M --file @F --dump
file-dump-nodes       | same | --length 1M --file @F -m 1 --touch | --length 1M --file @F --dump-nodes
file-misaligned       | same | | --length 1000 --file @F -m 0
hugetlbfs             | same | | --length 4M --file @H -m 2 --touch
hugetlbfs-interleave  | same | | --length 8M --file @H -i 0-3 --touch
dump-without-shm      | same | | --dump -m 0 true
touch-before-file     | same | | --touch --length 2M --file @F
length-for-process    | same | | --length 2M -m 0 true
ROWS
numactl_table_cleanup
