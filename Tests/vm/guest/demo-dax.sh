# The second part of the demo, run inside the dax guest by /init when /vm/mode
# is "demo-dax": memory that arrives the way a CXL expander's does, onlined
# fenced. Plain words for someone who has never seen privnuma.

say() { echo "$*"; }
rule() { echo "------------------------------------------------------------------"; }
counts() { # workload output -> per-node lines
    for n in 0 1 2 3; do
        c=$(echo "$1" | awk -v k="N$n" '$1 == k { v = $2 } END { print v + 0 }')
        printf '    node %s: %6s pages\n' "$n" "$c"
    done
}

if [ ! -x /usr/bin/privnuma ]; then
    say "privnuma is not in this guest: build it first (make build)."
    exit 1
fi
. /vm/fence.sh

rule
say "A second machine with the same four nodes, but nodes 2 and 3 arrive the way"
say "CXL expanders and HBM do: the firmware reports them as soft-reserved"
say "\"specific purpose\" memory, Linux makes them dax devices, and they become"
say "NUMA nodes only when an administrator onlines them. Online now: node(s)"
say "$(cat /sys/devices/system/node/online). What privnuma sees (privnuma hardware):"
say
privnuma hardware | sed 's/^/    /'
rule
say "Onlined the usual way (daxctl reconfigure-device --mode=system-ram), the"
say "memory would join the page allocator at once, open to every process."
say "Instead the administrator declares node 2 private in the registry (cxl0,"
say "for the group cram) and runs:  privnuma online dax0.0"
say
# The registry and the setcap install of fence_setup, without its fence apply:
# online puts the fence in place itself, before the first block goes online.
if ! { mkdir -p /usr/local/bin && cp /usr/bin/privnuma "$PN" &&
       setcap cap_dac_override,cap_sys_nice+p "$PN" && fence_registry; }; then
    say "Setting up the registry and the setcap install failed."
    exit 1
fi
fence_save_mems
privnuma online dax0.0 2>&1 | sed 's/^/    /'
say
say "Node 2 now has memory, all of it in ZONE_MOVABLE (kernel allocations stay"
say "off it), and the cgroups' cpusets say who may allocate there:"
say
for d in /sys/fs/cgroup/privnuma-general /sys/fs/cgroup/privnuma.slice/cxl0; do
    printf '    %-40s cpuset.mems.effective %s\n' "${d#/sys/fs/cgroup}" "$(cat "$d/cpuset.mems.effective")"
done
printf '    %-40s %s\n' "node 2 memory blocks, zones:" "$(cat /sys/devices/system/node/node2/memory*/valid_zones | sort -u | tr '\n' ' ')"
rule
say "alice (in cram) runs  privnuma --membind=cxl0 workload 64:"
say
out=$(run_as alice "$PN" --membind=cxl0 workload 64 2>&1)
counts "$out"
say
say "bob, with numactl and no privnuma, spreads 64 MiB over every node he can:"
say "numactl --interleave=all workload 64"
say
out=$(run_as bob numactl --interleave=all workload 64 2>&1)
counts "$out"
say
say "privnuma audit checks every process and every way in (fence, zones,"
say "auto-online, demotion, hugetlb, the root cgroup):"
say
"$PN" audit 2>&1 | sed 's/^/    /'
rule
say "And back:  privnuma offline dax0.0"
say
privnuma offline dax0.0 2>&1 | sed 's/^/    /'
fence_teardown
rule
