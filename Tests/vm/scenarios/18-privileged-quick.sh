# A plain launch from an installed privnuma (setcap, as the Debian package
# installs it, and setuid root) on a machine with no private node: the
# registry directory is there and empty, as the package leaves it.  bob binds
# to node 2, a general node here; the command runs with bob's ids in all four
# places and no capability, as the full path leaves it.
#
# Then node 3 is declared private for bob, unfenced: bob's launch by its label
# binds there with the "not fenced" warning, bob's ids and no capability;
# alice, whom the registry does not allow, is refused and nothing runs.
#
# cases: privileged-plain-setcap privileged-plain-setuid
# cases: privileged-private-setcap privileged-private-setuid
# cases: privileged-private-refused

. /vm/fence.sh

have_privnuma privileged-plain-setcap || exit 0
installs=/opt/privnuma-plain
quick_cap=$installs/privnuma-setcap
quick_suid=$installs/privnuma-setuid
mkdir -p "$installs" && chmod 0755 "$installs"
made_registry=
if [ ! -e "$REG" ]; then
    mkdir -p "$REG" && made_registry=1
fi
cp /usr/bin/privnuma "$quick_cap" && setcap cap_dac_override,cap_sys_nice+p "$quick_cap"
cp /usr/bin/privnuma "$quick_suid" && chown root:root "$quick_suid" && chmod 4755 "$quick_suid"

# The command prints its ids and capabilities, then execs the workload.
probe='grep -E "^(Uid|Gid|Cap[A-Za-z]+):" /proc/self/status; exec workload 64 "$0"'
for install in setcap:$quick_cap setuid:$quick_suid; do
    m=$(marker)
    run run_as bob "${install#*:}" -m 2 sh -c "$probe" "$m"
    begin "privileged-plain-${install%%:*}"
    want_rc 0
    want_policy bind:2
    want_all 2
    want "the command's capabilities are not all zero: $(cap_lines "$OUT")" caps_zero "$OUT"
    want "the command does not run as bob in all four places: $(printf '%s\n' "$OUT" | grep -E '^(Uid|Gid)' | tr '\t\n' '  ')" \
        sh -c 'printf "%s\n" "$1" | grep -qE "^Uid:[[:space:]]+1002[[:space:]]+1002[[:space:]]+1002[[:space:]]+1002$" &&
               printf "%s\n" "$1" | grep -qE "^Gid:[[:space:]]+1002[[:space:]]+1002[[:space:]]+1002[[:space:]]+1002$"' - "$OUT"
    want "the workload did not start" [ -e "$m" ]
    end
done

printf '[Node]\nId=3\nLabel=quick3\nAllowUsers=bob\nMinFree=1M\n' > "$REG/90-quick3.conf"
chmod 0644 "$REG/90-quick3.conf"
for install in setcap:$quick_cap setuid:$quick_suid; do
    m=$(marker)
    run run_as bob "${install#*:}" --allow-unfenced -m quick3 sh -c "$probe" "$m"
    begin "privileged-private-${install%%:*}"
    want_rc 0
    want_policy bind:3
    want_all 3
    want_err_has "node 3 (quick3) is not fenced"
    want "the command's capabilities are not all zero: $(cap_lines "$OUT")" caps_zero "$OUT"
    want "the command does not run as bob: $(printf '%s\n' "$OUT" | grep -E '^Uid' | tr '\t\n' '  ')" \
        sh -c 'printf "%s\n" "$1" | grep -qE "^Uid:[[:space:]]+1002[[:space:]]+1002[[:space:]]+1002[[:space:]]+1002$"' - "$OUT"
    want "the workload did not start" [ -e "$m" ]
    end
done
m=$(marker)
run run_as alice "$quick_cap" --allow-unfenced -m quick3 workload 64 "$m"
begin privileged-private-refused
want_rc 3
want_err_has "alice"
want_err_has "AllowUsers"
want_no_marker "$m"
end
rm -f "$REG/90-quick3.conf"

rm -rf "$installs"
if [ -n "$made_registry" ]; then
    rmdir "$REG" /etc/privnuma 2>/dev/null || true
fi
