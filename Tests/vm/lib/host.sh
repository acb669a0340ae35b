# Host side of the VM suite: fetch the guest kernel, build the initramfs,
# boot the guest.  Sourced by Tests/vm/run and Tests/vm/demo (bash, set -euo
# pipefail already on).
#
# The guest is a throwaway qemu machine (TCG, no /dev/kvm needed) with four
# NUMA nodes of 512 MiB each:
#
#   node 0: cpu 0        node 2: memory only (like a CXL expander)
#   node 1: cpu 1        node 3: memory only
#
#   distances   0   1   2   3
#           0  10  21  30  40
#           1  21  10  30  40
#           2  30  30  10  40
#           3  40  40  40  10
#
# Everything downloaded or built lives in .cache/vm/ at the repository root;
# the kernel is reused between runs.

VM_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)     # Tests/vm
REPO_ROOT=$(cd "$VM_SRC/../.." && pwd)
VM_CACHE=${VM_CACHE:-$REPO_ROOT/.cache/vm}
PRIVNUMA_BIN=${PRIVNUMA_BIN:-$REPO_ROOT/.build/release/privnuma}
# The Debian kernel the guest boots: a meta package whose dependency is the
# image, e.g. linux-image-cloud-amd64 (Debian 12's 6.1) or
# linux-image-6.12-cloud-amd64 (the 6.12 kernel Debian 12 also ships).
VM_KERNEL_PACKAGE=${VM_KERNEL_PACKAGE:-linux-image-cloud-amd64}
if [ "$VM_KERNEL_PACKAGE" = linux-image-cloud-amd64 ]; then
    VM_CONSOLE=${VM_CONSOLE:-$VM_CACHE/console.log}
else
    VM_CONSOLE=${VM_CONSOLE:-$VM_CACHE/console-$VM_KERNEL_PACKAGE.log}
fi
# Seconds the whole guest may run before it is killed as hung.
VM_TIMEOUT=${VM_TIMEOUT:-480}
# Modules of the kernel package kept in the cache (paths under kernel/):
# device-dax, its soft-reserved-memory driver and kmem, for the dax guest;
# fuse, for the trust scenario's registry on a FUSE mount.
VM_KERNEL_MODULES="drivers/dax/device_dax.ko drivers/dax/hmem/dax_hmem.ko drivers/dax/kmem.ko fs/fuse/fuse.ko"

vm_die() {
    echo "vm: error: $*" >&2
    # The suite's runner ends every run with a count, even this one.
    if [ "${VM_SUMMARY_ON_DIE:-0}" = 1 ]; then
        echo "FAIL vm-setup: $*"
        echo "0 passed, 1 failed"
    fi
    exit 1
}

# One VM run at a time per cache: runs share the kernel download, the
# initramfs staging area and the console log.
vm_lock() {
    mkdir -p "$VM_CACHE"
    exec 9> "$VM_CACHE/lock"
    if ! flock -n 9; then
        vm_log "another VM run holds $VM_CACHE/lock; waiting"
        flock 9
    fi
}

vm_log() {
    echo "vm: $*" >&2
}

# Every tool the host side needs; a missing one is an error, never a skip.
vm_require_tools() {
    local t
    for t in qemu-system-x86_64 gcc gzip cpio busybox numactl apt-get apt-cache dpkg-deb ldd timeout flock; do
        command -v "$t" >/dev/null 2>&1 ||
            vm_die "'$t' not found: install it (apt-get install qemu-system-x86 busybox-static numactl gcc cpio; or make deps)"
    done
    if ldd "$(command -v busybox)" >/dev/null 2>&1; then
        vm_die "$(command -v busybox) is dynamically linked: install busybox-static"
    fi
}

# Set VM_KERNEL_PATH to the guest kernel, downloading and unpacking the
# package into the cache the first time.  Not run in $(...): a failure must
# reach the summary through vm_die, not vanish into a variable.
vm_kernel() {
    local dir="$VM_CACHE/kernel-$VM_KERNEL_PACKAGE" m complete=1
    VM_KERNEL_DIR=$dir
    VM_KERNEL_PATH=$(ls "$dir"/boot/vmlinuz-* 2>/dev/null | head -n1 || true)
    for m in $VM_KERNEL_MODULES; do
        [ -f "$dir/modules/$m" ] || [ -f "$dir/modules/$m.builtin" ] || complete=0
    done
    [ -d "$dir/lib/modules" ] || complete=0
    [ -z "$VM_KERNEL_PATH" ] || [ "$complete" = 0 ] || return 0
    mkdir -p "$VM_CACHE"
    local pkg
    pkg=$(vm_kernel_image "$VM_KERNEL_PACKAGE")
    if [ -z "$pkg" ]; then
        vm_log "apt-cache cannot resolve $VM_KERNEL_PACKAGE; running apt-get update"
        apt-get update -qq >&2 || vm_die "fetching the guest kernel: apt-get update failed"
        pkg=$(vm_kernel_image "$VM_KERNEL_PACKAGE")
        [ -n "$pkg" ] || vm_die "fetching the guest kernel: apt knows no image package behind $VM_KERNEL_PACKAGE (check the apt sources: Debian 12 main and security)"
    fi
    vm_log "fetching guest kernel $pkg"
    local dl="$VM_CACHE/download-$VM_KERNEL_PACKAGE"
    rm -rf "$dl"
    mkdir -p "$dl"
    if ! (cd "$dl" && apt-get download "$pkg" >&2 2>/dev/null); then
        vm_log "apt-get download failed; running apt-get update and retrying"
        apt-get update -qq >&2 || vm_die "fetching the guest kernel: apt-get update failed"
        (cd "$dl" && apt-get download "$pkg" >&2) || vm_die "fetching the guest kernel: apt-get download $pkg failed"
    fi
    rm -rf "$dir.tmp"
    dpkg-deb -x "$dl"/*.deb "$dir.tmp" || vm_die "fetching the guest kernel: cannot unpack $dl/*.deb"
    # Keep /boot and the few modules the guests load (VM_KERNEL_MODULES);
    # the other modules are most of the package's size.
    rm -rf "$dir"
    mkdir -p "$dir"
    mv "$dir.tmp/boot" "$dir/boot"
    local src
    for m in $VM_KERNEL_MODULES; do
        # 6.1 ships modules as .ko, 6.12 as .ko.xz: busybox insmod takes them unpacked.
        src=$(ls "$dir".tmp/lib/modules/*/kernel/"$m" "$dir".tmp/lib/modules/*/kernel/"$m".xz 2>/dev/null | head -n1 || true)
        mkdir -p "$dir/modules/$(dirname "$m")"
        # Built into this kernel (6.12 builds fuse in): nothing to load, noted so
        # the cache counts as complete.
        if [ -z "$src" ] && grep -qxF "kernel/$m" "$dir".tmp/lib/modules/*/modules.builtin 2>/dev/null; then
            : > "$dir/modules/$m.builtin"
            continue
        fi
        [ -n "$src" ] || vm_die "fetching the guest kernel: package $pkg has no module $m"
        case $src in
            *.xz) xz -dc "$src" > "$dir/modules/$m" || vm_die "fetching the guest kernel: cannot unpack $src (install xz-utils)" ;;
            *) cp "$src" "$dir/modules/$m" ;;
        esac
    done
    # The whole module tree goes into the systemd guest's root (its disk
    # driver, virtio_blk, and the dummy network interface are modules).
    mv "$dir.tmp/lib" "$dir/lib"
    rm -rf "$dir.tmp" "$dl"
    VM_KERNEL_PATH=$(ls "$dir"/boot/vmlinuz-* 2>/dev/null | head -n1 || true)
    [ -n "$VM_KERNEL_PATH" ] || vm_die "fetching the guest kernel: no vmlinuz in package $pkg"
}

# The image package a kernel meta package depends on (the signed image; or
# the unsigned one, which carries the same kernel), or nothing.
vm_kernel_image() {
    apt-cache depends "$1" 2>/dev/null |
        awk '/Depends: linux-image-[0-9]/ {print $2; exit}' || true
}

# vm_scenarios [DIR]: the scenario files a guest runs: all of
# Tests/vm/DIR (default scenarios), or those whose name (without .sh) matches
# one of the shell patterns in VM_SCENARIOS ("05-* 1?-* 20-*").
vm_scenarios() {
    local f name pat
    for f in "$VM_SRC/${1:-scenarios}"/*.sh; do
        [ -e "$f" ] || continue
        name=$(basename "$f" .sh)
        if [ -z "${VM_SCENARIOS:-}" ]; then
            echo "$f"
            continue
        fi
        for pat in $VM_SCENARIOS; do
            # shellcheck disable=SC2254
            case $name in $pat) echo "$f"; break ;; esac
        done
    done
}

# The cases a scenario file declares: every word of its "# cases:" lines.
# Tests/vm/README.md says how to declare them.
vm_declared_cases() {
    sed -n 's/^# cases:[[:space:]]*//p' "$1" | tr -s ' \t' '\n' | sed '/^$/d'
}

# Copy an executable into the guest root at the same path, together with
# every shared library it needs (and the dynamic loader), as ldd reports them.
vm_copy_with_libs() {
    local root=$1 bin=$2 dest=${3:-$2} lib
    mkdir -p "$root$(dirname "$dest")"
    cp -L "$bin" "$root$dest"
    chmod 0755 "$root$dest"
    # "libnuma.so.1 => /lib/.../libnuma.so.1 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
    for lib in $(ldd "$bin" 2>/dev/null | awk '/=> \// {print $3} /^\t\// {print $1}'); do
        [ -e "$root$lib" ] && continue
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
}

# vm_build_initramfs MODE OUT: build the guest's initramfs (cpio newc, gzip)
# into OUT.  MODE is "test" (run scenarios/), "dax" (run scenarios-dax/ on
# the dax guest), "demo" (run guest/demo.sh), "demo-dax" (guest/demo-dax.sh,
# on the dax guest) or "bench" (guest/bench.sh, on the bench guest; its
# settings are the lines of $VM_BENCH_SETTINGS, copied to /vm/bench.conf).
# Sets VM_HAVE_PRIVNUMA=1 when the privnuma binary went in, 0 when missing.
vm_build_initramfs() {
    local mode=$1 out=$2
    local root="$VM_CACHE/root"
    rm -rf "$root"
    mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,root,run,usr/bin,usr/sbin,vm}
    mkdir -p "$root"/home/{alice,bob}
    chmod 1777 "$root/tmp"

    # busybox and its applets (the links are made by /init at boot).
    cp "$(command -v busybox)" "$root/bin/busybox"
    ln -s busybox "$root/bin/sh"

    # Users: root, alice (1001, member of cram), bob (1002).
    cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
alice:x:1001:1001:Alice:/home/alice:/bin/sh
bob:x:1002:1002:Bob:/home/bob:/bin/sh
PASSWD
    cat > "$root/etc/group" <<'GROUP'
root:x:0:
alice:x:1001:
bob:x:1002:
cram:x:2001:alice
GROUP
    # Locked passwords: nobody logs in, root reaches the users with su.
    cat > "$root/etc/shadow" <<'SHADOW'
root:*:19000:0:99999:7:::
alice:*:19000:0:99999:7:::
bob:*:19000:0:99999:7:::
SHADOW
    chmod 0600 "$root/etc/shadow"
    chown -R 1001:1001 "$root/home/alice"
    chown -R 1002:1002 "$root/home/bob"

    # numactl (dynamic: bring its libraries and the loader).
    vm_copy_with_libs "$root" "$(command -v numactl)" /usr/bin/numactl

    # setcap and getcap (libcap2-bin), to install privnuma with file
    # capabilities inside the guest (cpio carries no xattrs), and memhog
    # (numactl) for the isolation-under-load scenario.
    local tool
    for tool in setcap getcap memhog; do
        command -v "$tool" >/dev/null 2>&1 ||
            vm_die "'$tool' not found: install libcap2-bin and numactl (or make deps)"
        vm_copy_with_libs "$root" "$(command -v "$tool")" "/usr/bin/$tool"
    done

    # The dax guest's modules (loaded by /init with insmod) and Debian's
    # daxctl, the program an administrator onlines dax memory with.
    local kver
    kver=$(basename "$VM_KERNEL_PATH")
    kver=${kver#vmlinuz-}
    mkdir -p "$root/lib/modules/$kver"
    cp -r "$VM_KERNEL_DIR/modules" "$root/lib/modules/$kver/kernel"
    command -v daxctl >/dev/null 2>&1 || vm_die "'daxctl' not found: install daxctl (or make deps)"
    vm_copy_with_libs "$root" "$(command -v daxctl)" /usr/bin/daxctl

    # The workload, static.
    gcc -static -O2 -Wall -o "$root/usr/bin/workload" "$VM_SRC/workload.c" ||
        vm_die "cannot build Tests/vm/workload.c"
    # The trust scenario's tools: a FUSE file system served over /dev/fuse,
    # the name-resolution attack (ptrace), and glibc's getent with Debian 12's
    # default nsswitch.conf, the resolver a name missing from /etc/group went to.
    gcc -static -O2 -Wall -o "$root/usr/bin/fakefs" "$VM_SRC/fakefs.c" ||
        vm_die "cannot build Tests/vm/fakefs.c"
    gcc -static -O2 -Wall -o "$root/usr/bin/forge" "$VM_SRC/forge.c" ||
        vm_die "cannot build Tests/vm/forge.c"
    command -v getent >/dev/null 2>&1 || vm_die "'getent' not found: install libc-bin"
    vm_copy_with_libs "$root" "$(command -v getent)" /usr/bin/getent
    printf 'passwd: files systemd\ngroup: files systemd\n' > "$root/etc/nsswitch.conf"
    # A small JSON reader for checking --json output (busybox has none).
    gcc -static -O2 -Wall -o "$root/usr/bin/jsonq" "$VM_SRC/jsonq.c" ||
        vm_die "cannot build Tests/vm/jsonq.c"

    # privnuma itself.  A missing binary is reported as a failure by the
    # guest's scenarios and by the host; it is never a skip.
    if [ -f "$PRIVNUMA_BIN" ]; then
        vm_copy_with_libs "$root" "$PRIVNUMA_BIN" /usr/bin/privnuma
        VM_HAVE_PRIVNUMA=1
    else
        VM_HAVE_PRIVNUMA=0
    fi

    # The bench guest times privnuma against numactl's programs with hyperfine
    # and moves pages with numactl's migratepages as the reference.
    if [ "$mode" = bench ]; then
        for tool in hyperfine migratepages; do
            command -v "$tool" >/dev/null 2>&1 ||
                vm_die "'$tool' not found: install hyperfine and numactl (or make deps)"
            vm_copy_with_libs "$root" "$(command -v "$tool")" "/usr/bin/$tool"
        done
    fi

    # The guest side: init, helpers, scenarios, demo, bench.
    { cp "$VM_SRC/guest/init" "$root/init" &&
      cp "$VM_SRC/guest/lib.sh" "$VM_SRC/guest/demo.sh" "$VM_SRC/guest/demo-dax.sh" "$VM_SRC/guest/fence.sh" \
          "$VM_SRC/guest/rfcv4.sh" "$VM_SRC/guest/numactl-table.sh" "$VM_SRC/guest/bench.sh" "$root/vm/" &&
      cp "$VM_SRC/guest/run_as" "$root/usr/bin/run_as"; } ||
        vm_die "copying the guest files (Tests/vm/guest) into the initramfs failed"
    chmod 0755 "$root/init" "$root/usr/bin/run_as"
    if [ "$mode" = test ] || [ "$mode" = dax ]; then
        local dir=scenarios scenarios
        [ "$mode" = dax ] && dir=scenarios-dax
        mkdir -p "$root/vm/$dir"
        scenarios=$(vm_scenarios "$dir")
        [ -n "$scenarios" ] || vm_die "copying the scenarios: none of $VM_SRC/$dir/*.sh matches VM_SCENARIOS='${VM_SCENARIOS:-}'"
        # shellcheck disable=SC2086
        cp $scenarios "$root/vm/$dir/" || vm_die "copying the scenarios of $dir into the guest failed"
    fi
    echo "$mode" > "$root/vm/mode"
    [ "$mode" != bench ] || printf '%s\n' "${VM_BENCH_SETTINGS:-}" > "$root/vm/bench.conf"
    # The release the guest must report (scenario 05-guest checks it).
    basename "${VM_KERNEL_PATH:-vmlinuz-unknown}" | sed 's/^vmlinuz-//' > "$root/vm/kernel-release"

    (cd "$root" && find . -print0 | sort -z | cpio --null -o -H newc -R 0:0 --quiet) |
        gzip -1 > "$out" || vm_die "cannot pack the initramfs"
    rm -rf "$root"
}

# vm_boot KERNEL INITRD [GUEST]: boot the guest; its console goes to
# $VM_CONSOLE (carriage returns and terminal escapes removed).  Returns qemu's
# status (124 on timeout).  GUEST "dax" boots the same four nodes with nodes 2
# and 3 soft-reserved ("specific purpose" memory, as firmware reports CXL and
# HBM memory): they become dax devices, and NUMA nodes only once onlined
# through kmem.  Only nodes 0 and 1 lie below 4 GiB, so nodes 2 and 3 start
# at 4 GiB and 4.5 GiB, where the memmap ranges soft-reserve them (each range
# one node, aligned to the 128 MiB memory block), and the initramfs stays in
# ordinary memory.
#
# GUEST "bench" boots the main guest's four nodes without its disk, nodes 2
# and 3 of $VM_BENCH_NODE_MIB MiB each (default 1536): room to move a 1 GiB
# process from one memory-only node to the other (Tests/bench/vm).
#
# GUEST "systemd" boots the disk image $VM_SYSTEMD_DISK (lib/systemd.sh) and
# lets the guest reboot inside qemu, so that scenarios can check what survives
# a reboot; it runs for up to $VM_SYSTEMD_TIMEOUT seconds.
vm_boot() {
    local kernel=$1 initrd=$2 guest=${3:-main}
    # no_timer_check: a busy host slows TCG enough that the kernel judges the
    # timer broken and panics at boot.
    local machine=pc append="console=ttyS0 panic=-1 quiet rdinit=/init no_timer_check"
    if [ "$guest" = dax ]; then
        machine=pc,max-ram-below-4g=1G
        append="$append memmap=512M%0x100000000-1+0xefffffff memmap=512M%0x120000000-1+0xefffffff"
    fi
    local limit=$VM_TIMEOUT
    local -a extra=(-no-reboot)
    if [ "$guest" = systemd ]; then
        extra=(-drive "file=$VM_SYSTEMD_DISK,format=raw,if=virtio,cache=unsafe")
        append="$append loglevel=1 systemd.show_status=false"
        limit=$VM_SYSTEMD_TIMEOUT
    fi
    local -a numa=()
    local n size total=0
    for n in 0 1 2 3; do
        size=512
        [ "$guest" != bench ] || [ "$n" -lt 2 ] || size=${VM_BENCH_NODE_MIB:-1536}
        total=$((total + size))
        numa+=(-object "memory-backend-ram,size=${size}M,id=m$n")
    done
    numa+=(-numa node,nodeid=0,cpus=0,memdev=m0
           -numa node,nodeid=1,cpus=1,memdev=m1
           -numa node,nodeid=2,memdev=m2      # memory only
           -numa node,nodeid=3,memdev=m3)     # memory only
    local pair
    for pair in 0:1:21 0:2:30 1:2:30 0:3:40 1:3:40 2:3:40; do
        IFS=: read -r a b v <<<"$pair"
        numa+=(-numa "dist,src=$a,dst=$b,val=$v" -numa "dist,src=$b,dst=$a,val=$v")
    done
    # An NVMe disk (its driver is built into the kernel) behind a PCI
    # expander bridge on node 1, as a device local to one node: the node
    # block:, file: and pci: name (scenarios 80-82).
    local -a disk=()
    if [ "$guest" = main ]; then
        [ -f "$VM_CACHE/nvme.img" ] || truncate -s 16M "$VM_CACHE/nvme.img"
        disk=(-device pxb,id=pxb1,bus_nr=16,numa_node=1,bus=pci.0
              -drive "file=$VM_CACHE/nvme.img,if=none,id=nvm,format=raw"
              -device nvme,serial=privnuma,drive=nvm,bus=pxb1)
    fi
    mkdir -p "$(dirname "$VM_CONSOLE")"
    : > "$VM_CONSOLE"
    local rc=0
    timeout --kill-after=10 "$limit" \
        qemu-system-x86_64 -accel tcg -machine "$machine" -cpu max -m "$total" -smp 2 \
            -nographic -nodefaults -serial stdio "${extra[@]}" \
            "${numa[@]}" "${disk[@]}" \
            -kernel "$kernel" -initrd "$initrd" \
            -append "$append" \
            </dev/null 2>&1 |
        # Drop carriage returns and the firmware's terminal escapes.
        tr -d '\r' | sed -u 's/\x1b\[[0-9;?]*[A-Za-z]//g; s/\x1bc//g' > "$VM_CONSOLE" || rc=$?
    return "$rc"
}

# Print the end of the guest console, for failures.
vm_console_tail() {
    local lines=${1:-40}
    echo "---- last $lines lines of the guest console ($VM_CONSOLE) ----" >&2
    tail -n "$lines" "$VM_CONSOLE" >&2 || true
    echo "---- end of console ----" >&2
}
