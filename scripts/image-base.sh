#!/usr/bin/env bash
# Makes the Debian base images deploy/Dockerfile starts from, for hosts that
# reach Debian's package mirror but no container registry: a minbase root from
# debootstrap, committed with buildah as debian:bookworm (the build stage) and
# as debian:bookworm-slim after the same trimming Debian's official -slim
# images get (no manuals, docs beyond copyrights, locales; dpkg keeps them out
# of later installs too). An image that already exists locally is reused, so
# this runs once per host.
#
# Usage: scripts/image-base.sh [RELEASE] [MIRROR]
set -euo pipefail

release=${1:-bookworm}
mirror=${2:-http://deb.debian.org/debian}
full=docker.io/library/debian:${release}
slim=docker.io/library/debian:${release}-slim

have() { buildah inspect --type image "$1" >/dev/null 2>&1; }
if have "$full" && have "$slim"; then
  echo "base images $full and $slim exist locally: reused"
  exit 0
fi

work=$(mktemp -d /var/tmp/image-base.XXXXXX)
containers=()
cleanup() {
  for c in "${containers[@]}"; do buildah rm "$c" >/dev/null 2>&1 || true; done
  rm -rf "$work"
}
trap cleanup EXIT

echo "debootstrap --variant=minbase $release from $mirror"
debootstrap --variant=minbase "$release" "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -30 "$work/debootstrap.log" >&2
  exit 1
}
# What a container root needs and debootstrap leaves host-specific or stale.
rootfs=$work/rootfs
rm -rf "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb \
  "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/* \
  "$rootfs"/tmp/* "$rootfs"/var/tmp/*
: >"$rootfs/etc/machine-id"
printf 'deb %s %s main\ndeb %s %s-updates main\ndeb http://deb.debian.org/debian-security %s-security main\n' \
  "$mirror" "$release" "$mirror" "$release" "$release" >"$rootfs/etc/apt/sources.list"
# The apt settings of Debian's container images: no recommends pulled by
# accident, no package caches kept in layers.
cat >"$rootfs/etc/apt/apt.conf.d/docker-clean" <<'CONF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
CONF

commit() {  # commit ROOTFS as IMAGE
  local ctr mnt
  ctr=$(buildah from scratch)
  containers+=("$ctr")
  mnt=$(buildah mount "$ctr")
  cp -a "$1"/. "$mnt"/
  buildah umount "$ctr" >/dev/null
  buildah config --cmd '["bash"]' --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --label org.opencontainers.image.description="debian $release minbase (debootstrap)" "$ctr"
  buildah commit --quiet --rm "$ctr" "$2" >/dev/null
  containers=("${containers[@]/$ctr}")
  echo "committed $2 ($(buildah inspect --type image --format '{{.FromImageID}}' "$2" | cut -c1-12))"
}

have "$full" || commit "$rootfs" "$full"

# -slim: what debuerreotype's slimify does to Debian's official images.
cat >"$rootfs/etc/dpkg/dpkg.cfg.d/docker" <<'CONF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
CONF
find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$rootfs/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$rootfs"/usr/share/info/* "$rootfs"/usr/share/linda/* \
  "$rootfs"/usr/share/lintian/overrides/* "$rootfs"/usr/share/locale/* \
  "$rootfs"/usr/share/man/* "$rootfs"/usr/share/groff/*
have "$slim" || commit "$rootfs" "$slim"
