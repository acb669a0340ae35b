# The README's systemd commands (its "Under systemd" blocks marked <!-- vm -->),
# run as written against the real systemd; Tests/shell/readme.sh checks that
# each of them is in a scenario.  ./app is the workload (64 MiB touched).
# cases: readme-systemd-dry-run readme-systemd-apply readme-systemd-show
# cases: readme-systemd-status readme-systemd-run-scope readme-systemd-remove
. /vm/sd-fence.sh
RUN_TIMEOUT=120
work=/tmp/readme-systemd
rm -rf "$work"
mkdir -p "$work/shims"
chmod 0755 "$work"
cd "$work" || exit 1
printf '#!/bin/sh\nexec "$@"\n' > shims/sudo
printf '#!/bin/sh\nexec workload 64\n' > app
chmod 0755 shims/sudo app
export PATH="$work/shims:$PATH"
sd_registry

run sudo privnuma fence apply --dry-run
begin readme-systemd-dry-run
want_rc 0
want_out_has "would write /etc/systemd/system/slice.d/90-privnuma-fence.conf"
end

run sudo privnuma fence apply
begin readme-systemd-apply
want_rc 0
end

run systemctl show -P AllowedMemoryNodes system.slice user.slice init.scope
begin readme-systemd-show
want_rc 0
want "AllowedMemoryNodes of system.slice user.slice init.scope: $(echo $OUT)" [ "$(echo $OUT)" = "0-1 0-1 0-1" ]
end

run privnuma fence status
begin readme-systemd-status
want_rc 0
want_out_has "node 2 (cxl0): fenced"
end

run sudo systemd-run --wait --pipe --same-dir --slice=privnuma-cxl0.slice --uid=alice privnuma -p cxl0 -- ./app
begin readme-systemd-run-scope
want_rc 0
want_policy prefer:2
want_share 2 95
end

run sudo privnuma fence remove
begin readme-systemd-remove
want_rc 0
want "system.slice still has AllowedMemoryNodes=$(systemctl show -P AllowedMemoryNodes system.slice) after fence remove" [ -z "$(systemctl show -P AllowedMemoryNodes system.slice)" ]
want "drop-ins left after fence remove" sh -c '! ls /etc/systemd/system/*.d/9?-privnuma-* >/dev/null 2>&1'
end
cd /
sd_teardown
