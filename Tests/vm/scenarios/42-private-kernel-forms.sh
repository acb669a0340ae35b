# The later forms of the kernel's private-node interface, on the RFC-v4 view
# of 40-private-kernel (a tmpfs copy of /sys/devices/system/node bind-mounted
# over the real one) with has_private_memory replaced, and no registry:
#
#   fallback   has_fallback_memory = 0-1, has_memory = 0-3: private 2-3; the
#              kernel does not say whether they take policies, so -m 2 is
#              refused (exit 3, nothing ran) until the registry says so
#   public     has_public_memory = 0-1, has_user_memory = 2: alice's -m 2
#              lands on node 2, -m 3 refused (exit 3, nothing ran)
#   common     has_common_memory = 0-1, node2/mem_features with mempolicy,
#              node3/mem_features "demotion reclaim": nodes --json shows
#              them, -m 2 lands on node 2, -m 3 refused
#   each       explain's first line names the form; bob's -i all interleaves
#              over 0-1 and no page of it is on node 2 or 3 (numa_maps)
#
# cases: kernel-form-setup
# cases: kernel-form-fallback-interleave-all kernel-form-public-interleave-all kernel-form-common-interleave-all
# cases: kernel-form-fallback-unknown-binding kernel-form-public-bind-2 kernel-form-public-refuses-3
# cases: kernel-form-common-features kernel-form-common-bind-2 kernel-form-common-refuses-3

. /vm/rfcv4.sh
fake=/tmp/private-node-sysfs-forms

have_privnuma kernel-form-setup || exit 0
rm -rf /etc/privnuma
if ! rfcv4_mount "$fake"; then
    fail kernel-form-setup "cannot build the view of $sysnode (tmpfs copy, bind mount)"
    rfcv4_unmount "$fake"
    exit 0
fi
pass kernel-form-setup

# form FILE [USER_MEMORY]: the view with FILE = 0-1 as the only node-state list.
form() {
    rm -f "$fake"/has_private_memory "$fake"/has_fallback_memory "$fake"/has_public_memory \
        "$fake"/has_common_memory "$fake"/has_user_memory "$fake"/node*/mem_features
    echo 0-3 > "$fake/has_memory"
    echo 0-1 > "$fake/$1"
    [ -z "${2:-}" ] || echo "$2" > "$fake/has_user_memory"
}

# interleave_all FORM: explain names the form, bob's -i all never touches 2 or 3.
interleave_all() {
    run run_as bob privnuma explain -i all
    local first
    first=$(printf '%s\n' "$OUT" | head -n 1)
    run run_as bob privnuma -i all workload 64
    begin "kernel-form-$1-interleave-all"
    want "explain's first line is '$first', want it to name has_$1_memory" \
        sh -c 'case "$1" in "kernel: has_$2_memory: private nodes = has_memory minus has_$2_memory = 2-3"*) ;; *) exit 1 ;; esac' - "$first" "$1"
    want_rc 0
    want_policy interleave:0-1
    want_none 2,3
    end
}

# refused NAME NODE: -m NODE as alice is refused by the rules and nothing runs.
refused() {
    local m
    m=$(marker)
    run run_as alice privnuma -m "$2" workload 16 "$m"
    begin "$1"
    want_rc 3
    want_err_has "mempolicy"
    want_no_marker "$m"
    end
}

form has_fallback_memory
interleave_all fallback
refused kernel-form-fallback-unknown-binding 2

form has_public_memory 2
interleave_all public
run run_as alice privnuma -m 2 workload 64
begin kernel-form-public-bind-2
want_rc 0
want_policy bind:2
want_all 2
end
refused kernel-form-public-refuses-3 3

form has_common_memory
echo "migration mempolicy demotion reclaim" > "$fake/node2/mem_features"
echo "demotion reclaim" > "$fake/node3/mem_features"
interleave_all common
run privnuma nodes --json
begin kernel-form-common-features
want_rc 0
want "kernel_interface.form is '$(j kernel_interface.form)', want has_common_memory" [ "$(j kernel_interface.form)" = has_common_memory ]
three=$(json_index 3)
want "node 3's kernel_features are '$(j nodes.$three.kernel_features)', want 'demotion reclaim'" \
    [ "$(j nodes.$three.kernel_features)" = "demotion reclaim" ]
want "node 3 bindable is '$(j nodes.$three.bindable)', want false" [ "$(j nodes.$three.bindable)" = false ]
end
run run_as alice privnuma -m 2 workload 64
begin kernel-form-common-bind-2
want_rc 0
want_policy bind:2
want_all 2
end
refused kernel-form-common-refuses-3 3

rfcv4_unmount "$fake"
