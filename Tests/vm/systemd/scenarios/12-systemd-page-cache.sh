# Page cache on the cpuset backend: an opted-in launch leaves the file pages it
# reads on its private node; a general process that then maps the same file is
# listed by audit as sharing page cache, not as a violation, while the same
# mapping from a cgroup that can reach the node is a violation.
# cases: systemd-page-cache-on-node systemd-page-cache-audit-shared systemd-page-cache-audit-leak
. /vm/sd-fence.sh
RUN_TIMEOUT=120
sd_registry
privnuma fence apply >/dev/null 2>&1

# A fresh copy of a program, out of the page cache, then run once by an
# opted-in launch: its pages are read in under -p cxl0.
cp /usr/bin/sleep /tmp/pc-sleep && chmod 0755 /tmp/pc-sleep && sync
echo 3 > /proc/sys/vm/drop_caches
# A service, not a scope: systemd-run --scope --uid= sets no supplementary
# groups, and alice is allowed through group cram.
systemd-run --quiet --wait --slice=privnuma-cxl0.slice --uid=alice privnuma -p cxl0 -- /tmp/pc-sleep 0.1

# bob, in the fenced privnuma-vm.service, maps the same file.
run_as bob /tmp/pc-sleep 60 &
bobs=$!
sleep 1
pid=$(pgrep -u bob -f '^/tmp/pc-sleep 60' | head -n1)
n2=$(grep pc-sleep /proc/$pid/numa_maps 2>/dev/null | grep -o 'N2=[0-9]*' | cut -d= -f2 | awk '{ s += $1 } END { print s + 0 }')
begin systemd-page-cache-on-node
want "bob's mapping of pc-sleep has $n2 pages on node 2 ($(grep pc-sleep /proc/$pid/numa_maps 2>/dev/null | tr '\n' ' '))" [ "${n2:-0}" -gt 0 ]
want "bob's cgroup allows $(grep Mems_allowed_list /proc/$pid/status)" has "$(cat /proc/$pid/status)" '^Mems_allowed_list:[[:space:]]*0-1$'
end

run privnuma audit
begin systemd-page-cache-audit-shared
want_rc 0
want_out_has "shared page cache: 1"
want "audit does not list bob's pid $pid as sharing: $OUT" has "$OUT" "pid $pid pc-sleep, bob \\(uid 1002\\): [0-9]+ file pages on node 2"
want_out_has "violations: none"
end
kill "$pid" 2>/dev/null
wait "$bobs" 2>/dev/null

# The same mapping from a slice that may reach node 2 (a hole in the fence):
# then the file pages could be its own, and they are a violation.
systemctl set-property --runtime pcleak.slice AllowedMemoryNodes=0-3 >/dev/null 2>&1
systemd-run --quiet --slice=pcleak.slice --unit=pc-leak --uid=bob /tmp/pc-sleep 60
sleep 2
run privnuma audit
begin systemd-page-cache-audit-leak
want_rc 1
want "audit does not list the leaking mapping as a violation: $OUT" has "$OUT" 'pc-sleep +bob \(uid 1002\) +2 +cxl0'
end
systemctl stop pc-leak.service >/dev/null 2>&1
systemctl revert pcleak.slice >/dev/null 2>&1
rm -f /tmp/pc-sleep
sd_teardown
