#!/bin/bash
# make deb: the package builds with Debian's tooling, holds every file where Debian's
# consumers look (equal to the sources), its binary (stripped by dh_strip) works, its
# fields are exact (runtime needs only, the version of debian/changelog and of
# privnuma --version), and lintian reports no error and no warning beyond the
# overrides debian/privnuma.lintian-overrides explains. Installing it, the fence, upgrade,
# removal and purge run in the VM suite's systemd guest.

here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

version=$(cd "$ROOT" && dpkg-parsechangelog -SVersion)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=$ROOT/privnuma_${version}_${arch}.deb
# make deb rebuilds the package when any file of the tree is newer than it.
if ! make -s -C "$ROOT" deb >"$scratch/log" 2>&1 || [[ ! -f $deb ]]; then
    fail "make deb" "$(grep -v ' warning: Using .dlopen' "$scratch/log" | tail -n 5 | tr '\n' ' ')"
    exit 0
fi
pass "make deb: privnuma_${version}_${arch}.deb, newer than every file of the tree"

# source:installed pairs (installed paths in the package; man pages and README compressed).
files=(
    man/privnuma.1:usr/share/man/man1/privnuma.1.gz
    man/privnuma.conf.5:usr/share/man/man5/privnuma.conf.5.gz
    completions/privnuma.bash:usr/share/bash-completion/completions/privnuma
    completions/_privnuma:usr/share/zsh/vendor-completions/_privnuma
    completions/privnuma.fish:usr/share/fish/vendor_completions.d/privnuma.fish
    examples/50-cxl0.conf:usr/share/doc/privnuma/examples/50-cxl0.conf
    README.md:usr/share/doc/privnuma/README.md.gz
    debian/privnuma.README.Debian:usr/share/doc/privnuma/README.Debian
    debian/copyright:usr/share/doc/privnuma/copyright
)
dpkg-deb -x "$deb" "$scratch/root"
for pair in "${files[@]}"; do
    source=${pair%%:*} installed=${pair#*:}
    if [[ ! -f $scratch/root/$installed ]]; then
        fail "package holds /$installed" "missing"
    elif [[ $installed == *.gz ]] && ! zcat "$scratch/root/$installed" | cmp -s "$ROOT/$source" -; then
        fail "package holds /$installed" "differs from $source"
    elif [[ $installed != *.gz ]] && ! cmp -s "$ROOT/$source" "$scratch/root/$installed"; then
        fail "package holds /$installed" "differs from $source"
    else
        pass "package holds /$installed"
    fi
done

listing=$(dpkg-deb -c "$deb")
line() { printf '%s\n' "$listing" | awk -v p="./$1" '$6 == p { print $1, $2 }'; }
check "package holds /usr/bin/privnuma, root's, mode 0755 (privilege comes from the postinst)" \
    test "$(line usr/bin/privnuma)" = "-rwxr-xr-x root/root"
check "package owns an empty /etc/privnuma/nodes.d/" \
    test "$(line etc/privnuma/nodes.d/)" = "drwxr-xr-x root/root"
check "package ships no registry file" \
    sh -c "! printf '%s\n' \"\$1\" | grep -q 'etc/privnuma/nodes.d/.'" - "$listing"
unexpected=$(printf '%s\n' "$listing" | awk '$1 !~ /^d/ { print $6 }' | grep -vxF \
    -e ./usr/bin/privnuma -e ./usr/share/doc/privnuma/changelog.gz \
    -e ./usr/share/lintian/overrides/privnuma \
    $(for pair in "${files[@]}"; do printf -- '-e ./%s ' "${pair#*:}"; done))
check "package holds nothing else" test -z "$unexpected"

bin=$scratch/root/usr/bin/privnuma
check "packaged binary is stripped and static" sh -c "file '$bin' | grep -q 'statically linked.*, stripped'"
check "packaged binary says the package's version" test "$("$bin" --version)" = "privnuma ${version%%[+~]*}"
check "packaged binary reads a machine" sh -c "PRIVNUMA_SYSFS='$FIXTURES/rfc-v4/sys' PRIVNUMA_PROC='$FIXTURES/rfc-v4/proc' '$bin' nodes --json | grep -q '\"label\": *\"node2\"'"

field() { dpkg-deb -f "$deb" "$1"; }
check "Depends: libcap2-bin only (the postinst's setcap)" test "$(field Depends)" = "libcap2-bin"
check "no Recommends or Suggests" test -z "$(field Recommends)$(field Suggests)"
check "Built-Using names glibc (static, LGPL)" sh -c "dpkg-deb -f '$deb' Built-Using | grep -q '^glibc (= '"
check "postinst grants cap_dac_override,cap_sys_nice+p unless statoverridden" \
    sh -c "dpkg-deb -I '$deb' postinst | grep -q 'dpkg-statoverride --list' && dpkg-deb -I '$deb' postinst | grep -q 'setcap cap_dac_override,cap_sys_nice+p'"

# lintian (pedantic too): every tag it prints at warning level or above must be
# overridden, with the reason in debian/privnuma.lintian-overrides, and every override
# there must still be needed; informational and pedantic tags are counted for the record.
changes=$ROOT/.build/deb/privnuma_${version}_${arch}.changes
lintian --fail-on error,warning --display-info --pedantic "$changes" >"$scratch/lintian" 2>&1
status=$?
count() { grep -c "^$1: " "$scratch/lintian"; }
if [[ $status -eq 0 && $(count E) -eq 0 && $(count W) -eq 0 ]]; then
    pass "lintian: no error, no warning ($(count I) informational, $(count P) pedantic tags)"
else
    fail "lintian: no error, no warning" "exit $status: $(grep -E '^[EW]: ' "$scratch/lintian" | tr '\n' ' ')"
fi
# --show-overrides makes lintian count the overridden tags in its exit status.
lintian --pedantic --show-overrides "$changes" >"$scratch/lintian" 2>&1
declared=$(grep -cvE '^(#|$)' "$ROOT/debian/privnuma.lintian-overrides")
check "lintian: every override in debian/privnuma.lintian-overrides is used ($(count O) of $declared)" \
    test "$(count O)" -eq "$declared"
