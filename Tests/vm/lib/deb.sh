# Host side of the Debian package scenarios (systemd guest, scenarios 6?-deb*): the
# package of this tree and a rebuild of it with a higher version, for the upgrade.
# Sourced after lib/host.sh.
#
#   vm_debs DIR   DIR/deb/privnuma_<version>_<arch>.deb (make deb) and
#                 DIR/deb-upgrade/privnuma_<version>+b1_<arch>.deb: the same package
#                 rebuilt by dpkg-buildpackage as a binary-only upload with a higher
#                 version, in make deb's copy of the tree (its build is reused: under a
#                 minute). One package per directory, so that ./privnuma_*.deb is one.

vm_debs() {
    local dir=$1 version arch deb rebuild stage
    make -s -C "$REPO_ROOT" deb >&2 || vm_die "make deb failed (see above)"
    version=$(dpkg-parsechangelog -l "$REPO_ROOT/debian/changelog" -SVersion)
    arch=$(dpkg --print-architecture)
    deb=$REPO_ROOT/privnuma_${version}_${arch}.deb
    rebuild=$REPO_ROOT/.build/deb/privnuma_${version}+b1_${arch}.deb
    stage=$REPO_ROOT/.build/deb/privnuma
    if [ ! -f "$rebuild" ] || [ "$rebuild" -ot "$deb" ]; then
        vm_log "rebuilding the package as privnuma ${version}+b1 (the upgrade)"
        (
            cd "$stage" &&
            maintainer=$(dpkg-parsechangelog -SMaintainer) &&
            cp debian/changelog debian/changelog.source &&
            trap 'mv debian/changelog.source debian/changelog' EXIT &&
            {
                printf 'privnuma (%s+b1) unstable; urgency=low, binary-only=yes\n\n' "$version"
                printf '  * Binary-only non-maintainer upload for %s; no source changes.\n\n' "$arch"
                printf ' -- %s  %s\n\n' "$maintainer" "$(date -R)"
                cat debian/changelog.source
            } > debian/changelog &&
            dpkg-buildpackage -b -us -uc -nc
        ) >&2 || vm_die "the rebuild of the package failed (see above)"
    fi
    mkdir -p "$dir/deb" "$dir/deb-upgrade"
    cp "$deb" "$dir/deb/"
    cp "$rebuild" "$dir/deb-upgrade/"
}
