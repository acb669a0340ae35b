# The README's Debian package on Debian 12 with systemd, as an administrator uses it:
# apt-get install (file capabilities; nothing fenced, enabled or running until a node
# is declared), a declared and fenced node used by an allowed user's service and, after
# dpkg-statoverride makes the binary setuid, by her login shell, and refused to another
# user; a reboot, then an upgrade to a rebuilt package with a higher version (registry,
# fence and statoverride kept); remove (fence configuration and its slices gone,
# registry kept) and purge (no file, capability, unit, drop-in or cgroup of privnuma
# left); after a reboot every slice may use every node again.
# The host puts the package in /vm/deb and its rebuild in /vm/deb-upgrade (lib/deb.sh).
# cases: deb-install deb-inert deb-fence deb-service deb-statoverride deb-login-allowed
# cases: deb-login-refused deb-upgrade deb-upgrade-launch deb-default-again deb-remove
# cases: deb-purge deb-purge-reboot
. /vm/sd-fence.sh
# apt-get and logins under TCG on a busy host take a while.
RUN_TIMEOUT=180
# The README's apt-get commands, answered yes as an administrator would.
export APT_CONFIG=$KEEP/apt.conf
echo 'APT::Get::Assume-Yes "true";' > "$APT_CONFIG"

version=$(dpkg-deb -f /vm/deb/privnuma_*.deb Version)
upgrade=$(dpkg-deb -f /vm/deb-upgrade/privnuma_*.deb Version)

# The guest's own privnuma goes while the package is tried, and comes back for the
# scenarios after this one whatever happens here (but not across the reboot).
put_back() {
    dpkg-statoverride --remove /usr/bin/privnuma >/dev/null 2>&1
    apt-get purge privnuma >/dev/null 2>&1
    install -m 0755 "$KEEP/privnuma.rig" /usr/bin/privnuma
}
trap 'rc=$?; [ "$rc" = 100 ] || put_back; exit "$rc"' EXIT

# Every path on the root file system, less what apt, dpkg, systemd and this suite churn.
paths() {
    find / -xdev \( -path /tmp -o -path /var/tmp -o -path /vm -o -path /var/lib/privnuma-vm \
        -o -path /var/log -o -path /var/cache -o -path /var/lib/apt -o -path /var/lib/dpkg \
        -o -path /var/lib/systemd -o -path /root \) -prune -o -print | sort
}
# Units, drop-ins and cgroups named after privnuma, less this suite's own service and disk.
privnuma_units() {
    { find /etc/systemd /run/systemd /usr/lib/systemd /lib/systemd -name '*privnuma*' 2>/dev/null
      systemctl list-units --all --plain --no-legend '*privnuma*' | awk '{ print $1 }'
    } | grep -v -e 'privnuma-vm' -e 'privnuma\\x2dvm'
}
# want_dpkg FORMAT EXPECTED: dpkg-query's FORMAT for privnuma is EXPECTED.
want_dpkg() {
    local got
    got=$(dpkg-query -W -f="$1" privnuma 2>&1)
    want "dpkg: '$got', want '$2'" [ "$got" = "$2" ]
}
privnuma_cgroups() { find /sys/fs/cgroup -name '*privnuma*' ! -name privnuma-vm.service; }
# Nothing keeps a slice off a node: no cpuset there yet, or every node.
open_mems() { local m; m=$(sd_eff "$1"); [ "$m" = 0-3 ] || [ "$m" = "(no cpuset.mems.effective)" ]; }
launch_as() {   # USER ARGS...: a login shell of USER runs privnuma ARGS
    local user=$1
    shift
    run su - "$user" -c "privnuma $*"
}

case $PHASE in
0)
    cp /usr/bin/privnuma "$KEEP/privnuma.rig"
    rm -f /usr/bin/privnuma
    paths > "$KEEP/paths.before"

    cd /vm/deb || exit 1
    run apt-get install ./privnuma_*.deb
    cd /tmp || exit 1
    begin deb-install
    want_rc 0
    want_dpkg '${db:Status-Status} ${Version}' "installed $version"
    caps=$(getcap /usr/bin/privnuma)
    want "getcap: '$caps', want cap_dac_override,cap_sys_nice=p" [ "${caps#* }" = cap_dac_override,cap_sys_nice=p ]
    want "mode of /usr/bin/privnuma: $(stat -c '%a %U' /usr/bin/privnuma)" [ "$(stat -c '%a %U' /usr/bin/privnuma)" = "755 root" ]
    want "/etc/privnuma/nodes.d is not the package's" [ "$(dpkg -S /etc/privnuma/nodes.d 2>&1)" = "privnuma: /etc/privnuma/nodes.d" ]
    want "/etc/privnuma/nodes.d is not empty" [ -z "$(ls -A /etc/privnuma/nodes.d)" ]
    for f in /usr/share/man/man1/privnuma.1.gz /usr/share/man/man5/privnuma.conf.5.gz \
        /usr/share/bash-completion/completions/privnuma /usr/share/zsh/vendor-completions/_privnuma \
        /usr/share/fish/vendor_completions.d/privnuma.fish /usr/share/doc/privnuma/examples/50-cxl0.conf; do
        want "$f is missing" [ -f "$f" ]
    done
    end

    begin deb-inert
    left=$(privnuma_units; privnuma_cgroups)
    want "privnuma units, drop-ins or cgroups before any node is declared: $left" [ -z "$left" ]
    want "system.slice may use $(sd_eff system.slice), want 0-3" open_mems system.slice
    end

    sd_registry
    mkdir -p "$KEEP/registry" && cp /etc/privnuma/nodes.d/*.conf "$KEEP/registry/"
    run privnuma fence apply
    begin deb-fence
    want_rc 0
    for cg in system.slice user.slice init.scope; do
        want "$cg effective mems $(sd_eff $cg), want 0-1" [ "$(sd_eff $cg)" = 0-1 ]
    done
    want "no opt-in drop-in for cxl0" [ -f "$UNITS/privnuma-cxl0.slice.d/91-privnuma-opt-in.conf" ]
    end
    ( cd "$UNITS" && sha256sum */9?-privnuma-*.conf ) > "$KEEP/fence.sum"

    # A service of alice's in the opt-in slice: the package's binary, no privilege needed.
    cat > "$UNITS/pn-deb-job.service" <<'UNIT'
[Unit]
Description=a job that opts in to cxl0
[Service]
Type=oneshot
User=alice
Slice=privnuma-cxl0.slice
StandardOutput=file:/tmp/pn-deb-job.out
ExecStart=/usr/bin/privnuma -p cxl0 -- workload 32
UNIT
    systemctl daemon-reload
    run systemctl start pn-deb-job.service
    OUT=$(cat /tmp/pn-deb-job.out 2>/dev/null)
    begin deb-service
    want_rc 0
    want_policy prefer:2
    want_all 2
    end

    # A login shell needs systemd to start a scope, which it does only for root: the
    # administrator makes the binary setuid the Debian way (README.Debian).
    run dpkg-statoverride --update --add root root 4755 /usr/bin/privnuma
    begin deb-statoverride
    want_rc 0
    want "mode: $(stat -c '%a %U' /usr/bin/privnuma), want 4755 root" [ "$(stat -c '%a %U' /usr/bin/privnuma)" = "4755 root" ]
    want "file capabilities left with setuid: $(getcap /usr/bin/privnuma)" [ -z "$(getcap /usr/bin/privnuma)" ]
    end

    launch_as alice -p cxl0 -- sh -c "'cat /proc/self/cgroup; exec workload 32'"
    begin deb-login-allowed
    want_rc 0
    want_out_has "0::/privnuma.slice/privnuma-cxl0.slice/"
    want_policy prefer:2
    want_all 2
    end

    m=$(marker)
    launch_as bob -p cxl0 -- workload 16 "$m"
    begin deb-login-refused
    want_rc 3
    want_err_has "cram"
    want_no_marker "$m"
    end
    reboot_guest 1
    ;;
1)
    cd /vm/deb-upgrade || exit 1
    run apt-get install ./privnuma_*.deb
    cd /tmp || exit 1
    begin deb-upgrade
    want_rc 0
    want_dpkg '${db:Status-Status} ${Version}' "installed $upgrade"
    want "the registry changed" sh -c "cd '$KEEP/registry' && for f in *.conf; do cmp -s \"\$f\" /etc/privnuma/nodes.d/\"\$f\" || exit 1; done"
    want "the fence's drop-ins changed" sh -c "cd '$UNITS' && sha256sum -c --quiet '$KEEP/fence.sum'"
    want "system.slice effective mems $(sd_eff system.slice), want 0-1" [ "$(sd_eff system.slice)" = 0-1 ]
    want "statoverride lost: $(stat -c '%a %U' /usr/bin/privnuma)" [ "$(stat -c '%a %U' /usr/bin/privnuma)" = "4755 root" ]
    end

    launch_as alice -p cxl0 -- workload 32
    begin deb-upgrade-launch
    want_rc 0
    want_policy prefer:2
    want_all 2
    end

    # Back to the package's default: file capabilities, not setuid.
    dpkg-statoverride --remove /usr/bin/privnuma
    run dpkg-reconfigure privnuma
    begin deb-default-again
    want_rc 0
    caps=$(getcap /usr/bin/privnuma)
    want "getcap: '$caps'" [ "${caps#* }" = cap_dac_override,cap_sys_nice=p ]
    want "mode: $(stat -c '%a %U' /usr/bin/privnuma), want 755 root" [ "$(stat -c '%a %U' /usr/bin/privnuma)" = "755 root" ]
    end

    rm -f "$UNITS/pn-deb-job.service"
    systemctl daemon-reload
    run apt-get remove privnuma
    begin deb-remove
    want_rc 0
    want "/usr/bin/privnuma is still there" [ ! -e /usr/bin/privnuma ]
    left=$(privnuma_units; privnuma_cgroups)
    want "left after remove: $(echo $left)" [ -z "$left" ]
    # The configuration is gone and a slice started now may use every node; slices
    # that ran through the removal keep their narrowed mems until they restart (phase 2).
    for cg in system.slice user.slice init.scope; do
        want "$cg still has AllowedMemoryNodes=$(systemctl show -P AllowedMemoryNodes $cg)" \
            [ -z "$(systemctl show -P AllowedMemoryNodes $cg)" ]
    done
    fresh=$(systemd-run --quiet --wait --pipe --slice=pndeb.slice grep Mems_allowed_list /proc/self/status 2>&1)
    systemctl stop pndeb.slice >/dev/null 2>&1
    want "a slice started after remove: '$fresh', want every node" has "$fresh" 'Mems_allowed_list:[[:space:]]*0-3$'
    want "registry gone after remove" [ -f /etc/privnuma/nodes.d/50-cxl0.conf ]
    want_dpkg '${db:Status-Status}' config-files
    end

    run apt-get purge privnuma
    begin deb-purge
    want_rc 0
    paths > "$KEEP/paths.after"
    new=$(comm -13 "$KEEP/paths.before" "$KEEP/paths.after")
    want "left after purge: $(echo $new)" [ -z "$new" ]
    left=$(privnuma_units; privnuma_cgroups)
    want "units, drop-ins or cgroups left after purge: $(echo $left)" [ -z "$left" ]
    want "dpkg still knows privnuma" sh -c '! dpkg-query -W privnuma >/dev/null 2>&1'
    want "maintainer scripts left: $(ls /var/lib/dpkg/info/privnuma.* 2>/dev/null)" sh -c '! ls /var/lib/dpkg/info/privnuma.* >/dev/null 2>&1'
    want "statoverride left" sh -c '! dpkg-statoverride --list /usr/bin/privnuma >/dev/null'
    want "file capabilities left on: $(getcap -r / 2>/dev/null | grep privnuma)" sh -c '! getcap -r /usr /etc 2>/dev/null | grep -q privnuma'
    end
    reboot_guest 2
    ;;
2)
    begin deb-purge-reboot
    for cg in system.slice user.slice init.scope; do
        want "$cg may use $(sd_eff $cg) after the reboot, want every node" open_mems "$cg"
    done
    left=$(privnuma_units; privnuma_cgroups)
    want "units, drop-ins or cgroups after the reboot: $(echo $left)" [ -z "$left" ]
    end
    ;;
esac
