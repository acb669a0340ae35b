# An unprivileged user launches like root.  With no registry, nodes 2 and 3
# are ordinary (general) nodes, so bob, who is in no special group, may bind
# to node 2; the child runs with bob's ids.
#
# cases: privnuma-unprivileged-membind numactl-unprivileged-membind
# cases: privnuma-unprivileged-ids

name=privnuma-unprivileged-membind
if have_privnuma "$name"; then
    run run_as bob privnuma -m 2 workload 64
    begin "$name"
    want_rc 0
    want_policy bind:2
    want_all 2
    end
fi

run run_as bob numactl -m 2 workload 64
begin numactl-unprivileged-membind
want_rc 0
want_policy bind:2
want_all 2
end

name=privnuma-unprivileged-ids
if have_privnuma "$name"; then
    run run_as bob privnuma -m 2 id
    begin "$name"
    want_rc 0
    want "want the child to run as bob (uid 1002), got '$OUT'" \
        sh -c 'echo "$1" | grep -q "^uid=1002(bob) gid=1002(bob)"' - "$OUT"
    end
fi
