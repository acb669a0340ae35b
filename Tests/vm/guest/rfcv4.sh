# The kernel's proposed private-node interface (RFC v4), faked where privnuma reads it, for
# the kernel-private scenarios (40-42). Sourced after lib.sh.
#
#   rfcv4_mount DIR    copy /sys/devices/system/node into a tmpfs at DIR, with
#                      has_private_memory = 2-3 and has_memory = 0-2 (node 3 private and
#                      not bindable), and bind-mount it over the real directory
#   rfcv4_unmount DIR  put the real directory back and remove DIR and the registry
#   j PATH             the value at PATH of the last run's JSON output (jsonq)
#   json_index ID      the index of node ID in the last output's "nodes" array, or none

sysnode=/sys/devices/system/node

rfcv4_mount() {
    local fake=$1 f d n
    mkdir -p "$fake" || return 1
    mount -t tmpfs tmpfs "$fake" || return 1
    # sysfs attributes copied one by one: the node directories hold
    # write-only files and symlinks that cp -r trips over.
    for f in "$sysnode"/*; do
        [ -f "$f" ] && [ -r "$f" ] && cat "$f" > "$fake/${f##*/}" 2>/dev/null
    done
    for d in "$sysnode"/node[0-9]*; do
        n=${d##*/}
        mkdir -p "$fake/$n" || return 1
        for f in cpulist cpumap distance meminfo numastat vmstat; do
            [ -r "$d/$f" ] && cat "$d/$f" > "$fake/$n/$f" 2>/dev/null
        done
    done
    echo 2-3 > "$fake/has_private_memory" || return 1
    echo 0-2 > "$fake/has_memory" || return 1
    mount -o bind "$fake" "$sysnode"
}

rfcv4_unmount() {
    rm -rf /etc/privnuma
    umount "$sysnode" 2>/dev/null
    umount "$1" 2>/dev/null
    rmdir "$1" 2>/dev/null
}

j() { jsonq "$@" < "$_T/out" 2>/dev/null; }

json_index() {
    local k=0 count
    count=$(j -n nodes)
    while [ "$k" -lt "${count:-0}" ]; do
        [ "$(j nodes.$k.id)" = "$1" ] && { echo "$k"; return; }
        k=$((k + 1))
    done
    echo none
}
