# The demo, run inside the guest by /init when /vm/mode is "demo".
# Plain words for someone who has never seen privnuma.

say() { echo "$*"; }
rule() { echo "------------------------------------------------------------------"; }

if [ ! -x /usr/bin/privnuma ]; then
    say "privnuma is not in this guest: build it first (make build)."
    exit 1
fi

rule
say "This is a small virtual machine with four NUMA memory nodes:"
say "  node 0 and node 1 each have one CPU and 512 MiB of memory;"
say "  node 2 and node 3 have 512 MiB of memory and no CPU at all, like"
say "  CXL memory expanders: memory that only programs that ask for it use."
say
say "What privnuma sees (privnuma --hardware):"
say
privnuma --hardware
say
say "The 'node distances' table is the relative cost of reaching memory:"
say "10 is local, 21 is the other CPU's node, 30 and 40 are the expanders."
rule
say "Now a test program that fills 64 MiB of memory, started with"
say
say "    privnuma --membind=2 workload 64"
say
say "which asks the kernel to take all of its memory from node 2."
say "The program then reads /proc/self/numa_maps to see where its pages are."
say
out=$(privnuma --membind=2 workload 64 2>&1)
rc=$?
if [ $rc -ne 0 ]; then
    say "It failed (exit status $rc):"
    say "$out"
    exit 1
fi
total=$(echo "$out" | awk '$1 == "pages" { print $2 }')
policy=$(echo "$out" | awk '$1 == "policy" { sub(/^policy /, ""); print }')
cpu=$(echo "$out" | awk '$1 == "cpu" { print $2 }')
say "It ran on CPU $cpu and touched $total pages of 4 KiB. The kernel"
say "reports the memory policy '$policy' for them, and counts them per node:"
say
for n in 0 1 2 3; do
    c=$(echo "$out" | awk -v k="N$n" '$1 == k { v = $2 } END { print v + 0 }')
    pct=$(( total > 0 ? c * 100 / total : 0 ))
    printf '    node %s: %6s pages  (%3s%%)\n' "$n" "$c" "$pct"
done
say
node=$(basename /sys/devices/system/cpu/cpu"$cpu"/node* | sed 's/^node//')
say "So the program computed on a CPU of node $node,"
say "while its memory came from node 2, which has no CPU of its own."
rule
say "The same program with --interleave=0-3 spreads its pages evenly:"
say
out=$(privnuma --interleave=0-3 workload 64 2>&1)
for n in 0 1 2 3; do
    c=$(echo "$out" | awk -v k="N$n" '$1 == k { v = $2 } END { print v + 0 }')
    printf '    node %s: %6s pages\n' "$n" "$c"
done
rule

# Private nodes: a registry, a cpuset fence, the rules of use, and an audit.
counts() { # workload output -> per-node lines
    for n in 0 1 2 3; do
        c=$(echo "$1" | awk -v k="N$n" '$1 == k { v = $2 } END { print v + 0 }')
        printf '    node %s: %6s pages\n' "$n" "$c"
    done
}
. /vm/fence.sh
if ! fence_setup; then
    say "Setting up the private nodes failed."
    exit 1
fi
say "Now private memory. The administrator declares nodes 2 and 3 private in"
say "/etc/privnuma/nodes.d: node 2 is 'cxl0', for the group cram; node 3 is"
say "'cxl1', for root. privnuma is installed with file capabilities, and"
say "'privnuma fence apply' fences the nodes with cgroup cpusets, so that only"
say "the opt-in cgroups can allocate there:"
say
echo "$APPLY_OUT" | sed 's/^/    /'
say
say "What alice (a member of cram) sees with 'privnuma nodes':"
say
run_as alice "$PN" nodes | sed 's/^/    /'
rule
say "alice prefers cxl0 for her program:  privnuma --preferred=cxl0 workload 64"
say
out=$(run_as alice "$PN" --preferred=cxl0 workload 64 2>&1)
counts "$out"
say
say "bob is not in cram. The same command is refused before anything runs:"
say
run_as bob "$PN" --preferred=cxl0 workload 64 2>&1 | sed 's/^/    /'
say "    (exit status 3: refused by the private-node rules)"
say
say "And programs that do not ask never get private memory, even when they"
say "spread over every node they can:  privnuma --interleave=all workload 64"
say
out=$(run_as bob "$PN" --interleave=all workload 64 2>&1)
counts "$out"
rule
say "Finally 'privnuma audit' checks every process for pages on a private node"
say "it did not opt into, and every fence:"
say
"$PN" audit 2>&1 | sed 's/^/    /'
say
say "That is privnuma: numactl's options, with private memory used only when"
say "named, only by those allowed, and proof of where the pages are."
rule
fence_teardown

