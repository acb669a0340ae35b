# Helpers for the systemd guest's scenarios, sourced after /vm/lib.sh (the
# busybox guest's helpers, which work here too).
#
#   PHASE                 0 on a scenario's first run; N after reboot_guest N
#   KEEP                  a directory of this scenario that survives reboots
#   reboot_guest N        reboot the guest now; this file then runs again
#                         with PHASE=N (the lines after the call never run)
#   wait_for TIMEOUT CMD...   retry CMD every 0.2 s until it succeeds (false
#                         after TIMEOUT seconds)
#   unit_cgroup UNIT      the cgroup directory of a unit, under /sys/fs/cgroup
#   cgroup_of PID         the cgroup directory of a process, under /sys/fs/cgroup
#   has TEXT REGEX        TEXT has a line matching REGEX (grep -E), for `want`:
#                         want "why" has "$OUT" '^Mems_allowed_list:.*0-1$'
#   lacks TEXT REGEX      no line of TEXT matches REGEX

KEEP=/var/lib/privnuma-vm/keep/$(basename "${SCENARIO:-demo}" .sh)
mkdir -p "$KEEP"

reboot_guest() {
    echo "$SCENARIO $1" > /var/lib/privnuma-vm/next
    sync
    exit 100
}

wait_for() {
    local limit=$1 i=0
    shift
    while ! "$@"; do
        i=$((i + 1))
        [ "$i" -ge $((limit * 5)) ] && return 1
        sleep 0.2
    done
    return 0
}

unit_cgroup() {
    echo "/sys/fs/cgroup$(systemctl show -P ControlGroup "$1")"
}

cgroup_of() {
    echo "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$1/cgroup")"
}

has() {
    printf '%s\n' "$1" | grep -qE -- "$2"
}

lacks() {
    ! has "$@"
}

# json_items ARRAY KEY < JSON: KEY of every element of ARRAY, one a line (exported: the
# checks that run it under `bash -c` see it too).
json_items() {
    local doc n i=0
    doc=$(cat)
    n=$(printf '%s' "$doc" | jsonq -n "$1" 2>/dev/null || echo 0)
    while [ "$i" -lt "$n" ]; do
        printf '%s' "$doc" | jsonq "$1.$i.$2"
        i=$((i + 1))
    done
}
export -f json_items

# The Slurm node's state as sinfo reports it (idle, allocated, drained, ...).
node_state() { sinfo -h -N -o %T 2>/dev/null | head -n 1; }
node_idle() { [ "$(node_state)" = idle ]; }
