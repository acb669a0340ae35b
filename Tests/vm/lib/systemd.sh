# Host side of the systemd guest: a real Debian 12 system (systemd 252 as
# PID 1, Slurm, munge, apt) on the same four-node machine as the busybox
# guest.  Sourced after lib/host.sh.
#
#   vm_systemd_root KERNEL the Debian root directory (VM_SYSTEMD_ROOT), built once with
#                          mmdebstrap and kept in $VM_CACHE/systemd-root-KEY
#                          (KEY: the package list, systemd/customize and
#                          the kernel; a change rebuilds it)
#   vm_systemd_disk MODE OUT   the root with this run's files (privnuma, the
#                          scenarios or the demo) as an ext4 image
#   vm_systemd_initramfs OUT   busybox, the virtio disk modules, systemd/init
#   vm_systemd_boot KERNEL INITRD DISK   boot it (vm_boot ... systemd)
#
# The guest reboots in place (no -no-reboot) so that scenarios can check what
# survives a reboot; the guest's own test service powers it off at the end.

# privnuma's SPANK plugin for the Slurm scenarios (make slurm-plugin).
VM_SLURM_PLUGIN=${VM_SLURM_PLUGIN:-$REPO_ROOT/.build/slurm/privnuma_spank.so}
# Seconds the systemd guest may run, reboots included, before it is killed.
VM_SYSTEMD_TIMEOUT=${VM_SYSTEMD_TIMEOUT:-1800}

# Debian packages of the guest, on top of mmdebstrap's minbase.
VM_SYSTEMD_PACKAGES="systemd systemd-sysv libpam-systemd dbus udev kmod iproute2 procps
munge slurmd slurmctld slurm-client numactl apt libcap2-bin"

vm_systemd_require_tools() {
    local t
    for t in mmdebstrap mkfs.ext4 sha256sum chroot; do
        command -v "$t" >/dev/null 2>&1 ||
            vm_die "'$t' not found: install it (apt-get install mmdebstrap e2fsprogs; or make deps)"
    done
}

# vm_systemd_root KERNEL: set VM_SYSTEMD_ROOT to the cached Debian root,
# building it first when the cache is missing or stale.
vm_systemd_root() {
    local kernel=$1 kver key root tmp src
    kver=${kernel##*/vmlinuz-}
    key=$( { echo "$VM_SYSTEMD_PACKAGES"; echo "$kver"; cat "$VM_SRC/systemd/customize"; } |
           sha256sum | cut -c1-12)
    root="$VM_CACHE/systemd-root-$key"
    VM_SYSTEMD_ROOT=$root
    [ ! -f "$root/.complete" ] || return 0
    rm -rf "$VM_CACHE"/systemd-root-*
    tmp="$VM_CACHE/systemd-root.tmp"
    rm -rf "$tmp"
    # The host's own apt sources and proxy: the guest comes from the same
    # mirror the host installs from.
    local -a mirrors=() aptopts=()
    for src in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
        [ -s "$src" ] && grep -qv '^[[:space:]]*\(#\|$\)' "$src" && mirrors+=("$src")
    done
    local proxy=""
    eval "$(apt-config shell proxy Acquire::http::Proxy)"
    [ -z "$proxy" ] || aptopts+=(--aptopt="Acquire::http::Proxy \"$proxy\"")
    vm_log "building the systemd guest's Debian root with mmdebstrap (once; about a minute)"
    mmdebstrap --mode=root --variant=minbase --quiet \
        --include="$(echo $VM_SYSTEMD_PACKAGES | tr ' ' ',')" \
        "${aptopts[@]}" bookworm "$tmp" "${mirrors[@]}" >&2 ||
        vm_die "mmdebstrap failed (see above)"
    "$VM_SRC/systemd/customize" "$tmp" "$VM_KERNEL_DIR/lib/modules/$kver" >&2 ||
        vm_die "cannot prepare the Debian root (Tests/vm/systemd/customize)"
    touch "$tmp/.complete"
    mv "$tmp" "$root"
}

# vm_systemd_disk ROOT MODE OUT: put this run's files into ROOT and write
# the ext4 image OUT.  MODE is "test" or "demo".  Sets VM_HAVE_PRIVNUMA.
vm_systemd_disk() {
    local root=$1 mode=$2 out=$3 f
    rm -rf "$root/vm"
    mkdir -p "$root/vm/scenarios"
    # /vm/lib.sh: the busybox guest's helpers; /vm/systemd.sh: this guest's.
    cp "$VM_SRC/guest/lib.sh" "$VM_SRC/guest/fence.sh" "$VM_SRC/systemd/systemd.sh" \
        "$VM_SRC/systemd/sd-fence.sh" "$VM_SRC/systemd/runner" "$VM_SRC/systemd/demo.sh" "$root/vm/"
    for f in $(vm_scenarios systemd/scenarios); do
        cp "$f" "$root/vm/scenarios/"
    done
    # The Debian package and its rebuild, for the package scenarios (lib/deb.sh);
    # the demo runs none.
    if [ "$mode" = test ] && compgen -G "$root/vm/scenarios/6?-deb*.sh" >/dev/null; then
        vm_debs "$root/vm"
    fi
    echo "$mode" > "$root/vm/mode"
    echo 0 > "$root/vm/boots"
    chmod 0755 "$root/vm/runner"

    install -m 0644 "$VM_SRC/systemd/privnuma-vm.service" "$root/etc/systemd/system/privnuma-vm.service"
    ln -sf ../privnuma-vm.service "$root/etc/systemd/system/multi-user.target.wants/privnuma-vm.service"

    install -m 0755 "$VM_SRC/systemd/run_as" "$root/usr/bin/run_as"
    gcc -static -O2 -Wall -o "$root/usr/bin/workload" "$VM_SRC/workload.c" ||
        vm_die "cannot build Tests/vm/workload.c"
    gcc -static -O2 -Wall -o "$root/usr/bin/jsonq" "$VM_SRC/jsonq.c" ||
        vm_die "cannot build Tests/vm/jsonq.c"
    # privnuma's SPANK plugin (make slurm-plugin), where the README installs it.
    rm -rf "$root/usr/local/lib/privnuma"
    if [ -f "$VM_SLURM_PLUGIN" ]; then
        install -D -m 0755 "$VM_SLURM_PLUGIN" "$root/usr/local/lib/privnuma/privnuma_spank.so"
    fi
    rm -f "$root/usr/bin/privnuma"
    if [ -f "$PRIVNUMA_BIN" ]; then
        install -m 0755 "$PRIVNUMA_BIN" "$root/usr/bin/privnuma"
        VM_HAVE_PRIVNUMA=1
    else
        VM_HAVE_PRIVNUMA=0
    fi

    rm -f "$out"
    truncate -s 2G "$out"
    mkfs.ext4 -q -F -L privnuma-vm -d "$root" "$out" >&2 || vm_die "mkfs.ext4 -d $root failed"
}

# vm_systemd_initramfs KERNEL OUT: busybox and the modules the root disk
# needs; systemd/init mounts the disk and hands over to systemd.
vm_systemd_initramfs() {
    local kernel=$1 out=$2 kver m path
    kver=${kernel##*/vmlinuz-}
    local root="$VM_CACHE/initramfs-systemd.d"
    rm -rf "$root"
    mkdir -p "$root"/{bin,dev,proc,sys,newroot,modules}
    cp "$(command -v busybox)" "$root/bin/busybox"
    ln -s busybox "$root/bin/sh"
    for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_blk; do
        path=$(find "$VM_KERNEL_DIR/lib/modules/$kver" -name "$m.ko" | head -n1)
        [ -n "$path" ] || vm_die "module $m.ko is not in the kernel package $kver"
        cp "$path" "$root/modules/"
    done
    install -m 0755 "$VM_SRC/systemd/init" "$root/init"
    (cd "$root" && find . -print0 | sort -z | cpio --null -o -H newc -R 0:0 --quiet) |
        gzip -1 > "$out" || vm_die "cannot pack the initramfs"
    rm -rf "$root"
}

# vm_systemd_boot KERNEL INITRD DISK: boot the systemd guest until it powers
# itself off (reboots stay inside qemu); console in $VM_CONSOLE.  Returns
# qemu's status.
vm_systemd_boot() {
    VM_SYSTEMD_DISK=$3 vm_boot "$1" "$2" systemd
}
