#!/usr/bin/env bash
# Builds deploy/Dockerfile with buildah (no Docker engine or registry needed)
# and writes what is known about the result under OUT (default build-image/):
#   image-id, image-ref     the local image
#   digest                  manifest digest of the image as an OCI layout
#                           (oci/, what a push sends); `make image-digest` pins it
#   sbom.tsv                every Debian package of the runtime stage with its
#                           version (dpkg-query on the image's own database),
#                           plus the project's binaries with their sha256
#   summary.md              size, labels, SBOM summary, timings
# summary.md and sbom.tsv are copied to bench/results/image-<date>.md and
# image-<date>-sbom.tsv.
# Fails when the image is larger than IMAGE_MAX_MB (default 120).
#
# Usage: scripts/image-build.sh IMAGE_REF [OUT]
set -euo pipefail

ref=${1:?usage: image-build.sh IMAGE_REF [OUT]}
out=${2:-build-image}
max_mb=${IMAGE_MAX_MB:-120}
cd "$(dirname "$0")/.."
mkdir -p "$out"
out=$(cd "$out" && pwd)

version=$(sed -n 's/^project([a-z_]* VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
if git rev-parse --git-dir >/dev/null 2>&1; then
  sha=$(git rev-parse --short=12 HEAD)
  git diff --quiet HEAD -- . ':!build*' 2>/dev/null || sha="$sha-dirty"
else
  sha=unknown
fi

start=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
scripts/image-base.sh
base_done=$(date +%s)

# The build stage compiles with ccache in a buildah cache mount. Seeded from
# this host's ccache, it reuses every object the host's own build of the same
# sources compiled (same Debian compiler; the cache key ignores where the tree
# is, see CMakeLists.txt): after `make check` the image recompiles nearly
# nothing. The Dockerfile does not depend on it: an empty mount, or another
# builder, just compiles everything. buildah keeps cache mounts under
# $TMPDIR (default /var/tmp)/buildah-cache[-UID]/ID.
cache_mount=${TMPDIR:-/var/tmp}/buildah-cache
[[ $(id -u) -eq 0 ]] || cache_mount+="-$(id -u)"
cache_mount+=/customer-analytics-ccache
host_cache=$(ccache -k cache_dir 2>/dev/null || true)
if [[ -n $host_cache && -d $host_cache && $host_cache != "$cache_mount" ]]; then
  mkdir -p "$cache_mount"
  cp -a --update "$host_cache"/. "$cache_mount"/
  rm -f "$cache_mount/ccache.conf"
  echo "compiler cache for the build stage seeded from $host_cache ($(du -sh "$cache_mount" | cut -f1))"
fi
seed_done=$(date +%s)

echo "buildah bud -f deploy/Dockerfile -t $ref (version $version, revision $sha)"
buildah bud --isolation chroot --pull=never --layers \
  --ignorefile deploy/Dockerfile.dockerignore \
  --build-arg GIT_SHA="$sha" --build-arg VERSION="$version" \
  --iidfile "$out/image-id" -f deploy/Dockerfile -t "$ref" . >"$out/build.log" 2>&1 || {
  tail -40 "$out/build.log" >&2
  echo "image build failed; full log: $out/build.log" >&2
  exit 1
}
build_done=$(date +%s)
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
echo "$ref" >"$out/image-ref"

# The image as an OCI layout: its manifest digest is the one a registry keeps
# for a push of the same layers, and the layout is a file a CI job can keep.
rm -rf "$out/oci"
buildah push --quiet --digestfile "$out/digest" "$ref" "oci:$out/oci:$version" >/dev/null
compressed=$(du -sb "$out/oci/blobs" | cut -f1)

ctr=$(buildah from --pull=never "$ref")
base=$(buildah from --pull=never "docker.io/library/debian:bookworm-slim")
trap 'buildah rm "$ctr" "$base" >/dev/null 2>&1 || true' EXIT
mnt=$(buildah mount "$ctr")
# The packages the runtime stage adds to its base: the libraries ldd asks for
# (tests/deploy/dockerfile_test.py), their dependencies, and the sqlite3 shell.
added=$(comm -13 \
  <(dpkg-query --admindir="$(buildah mount "$base")/var/lib/dpkg" -W -f='${Package}\n' | sort) \
  <(dpkg-query --admindir="$mnt/var/lib/dpkg" -W -f='${Package}\n' | sort) | tr '\n' ' ')
uncompressed=$(du -sb --exclude=proc --exclude=sys "$mnt" | cut -f1)
# What `buildah images` (and `docker images`) show: the layers' sizes summed,
# so files a later layer replaces count twice. Held to the limit as well.
layers_shown=$(buildah images --format '{{.Size}}' "$ref" | head -1)
layers=$(awk -v s="$layers_shown" 'BEGIN { split(s, p, " "); u = p[2]
  m = (u == "GB") ? 1e9 : (u == "MB") ? 1e6 : (u == "kB" || u == "KB") ? 1e3 : 1
  printf "%d", p[1] * m }')
{
  printf 'package\tversion\tarchitecture\tinstalled-size-kib\tsource-package-or-sha256\n'
  dpkg-query --admindir="$mnt/var/lib/dpkg" -W \
    -f='${Package}\t${Version}\t${Architecture}\t${Installed-Size}\t${source:Package}\n' | sort
  for f in "$mnt"/usr/local/bin/*; do
    printf '%s\t%s\t%s\t%s\t%s\n' "$(basename "$f")" "$version+$sha" "$(dpkg --print-architecture)" \
      "$(( ($(stat -c %s "$f") + 1023) / 1024 ))" "sha256:$(sha256sum "$f" | cut -d' ' -f1)"
  done
} >"$out/sbom.tsv"
# Every library the binaries (and the sqlite3 shell) link must be in the image:
# the runtime stage leaves unused libraries of its packages out (path-exclude).
missing=$(buildah run --isolation chroot "$ctr" -- \
  ldd /usr/local/bin/analytics-server /usr/local/bin/analytics-cli /usr/bin/sqlite3 | grep 'not found' || true)
if [[ -n $missing ]]; then
  echo "FAIL libraries missing in the image:" >&2
  echo "$missing" >&2
  exit 1
fi
excluded=$(grep -h '^path-exclude /usr/lib' "$mnt"/etc/dpkg/dpkg.cfg.d/* 2>/dev/null | cut -d' ' -f2 | tr '\n' ' ')
binaries=("$mnt"/usr/local/bin/*)
debian_packages=$(($(wc -l <"$out/sbom.tsv") - 1 - ${#binaries[@]}))

config=$(buildah inspect --type image "$ref" | jq .OCIv1.config)
labels=$(jq -r '.Labels | to_entries[] | select(.key | startswith("org.opencontainers"))
  | "\(.key)=\(.value)"' <<<"$config")
entrypoint=$(jq -c .Entrypoint <<<"$config")
user=$(jq -r .User <<<"$config")
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1000000 }'; }
date_utc=$(date -u +%Y-%m-%d)

{
  echo "# Image $ref ($date_utc)"
  echo
  echo "Built by \`make image\` (scripts/image-build.sh) on $(uname -m), $(nproc) cores, buildah $(buildah version --json | jq -r .version)."
  echo
  echo "| what | value |"
  echo "| --- | --- |"
  echo "| image | \`$ref\`, id \`$(cut -c1-19 "$out/image-id")\` |"
  echo "| digest (OCI manifest) | \`$(cat "$out/digest")\` |"
  echo "| size, uncompressed (files of the root filesystem) | $(mb "$uncompressed") MB (limit $max_mb MB) |"
  echo "| size, layers as \`buildah images\` shows it | $layers_shown |"
  echo "| size, compressed layers (what a pull transfers) | $(mb "$compressed") MB |"
  echo "| entrypoint, user | \`$entrypoint\`, \`$user\` |"
  echo "| runtime packages (SBOM: sbom.tsv) | $debian_packages Debian packages + ${binaries[*]##*/} |"
  echo "| time: base images | $((base_done - start)) s |"
  echo "| time: seeding the build stage's compiler cache | $((seed_done - base_done)) s |"
  echo "| load average (1, 5, 15 min) at start, after bud | $load_start; $load_end |"
  echo "| time: buildah bud | $((build_done - seed_done)) s (compiler cache: $(grep -m1 -E '^ *Hits:' "$out/build.log" | tr -s ' ' | sed 's/^ //') hits) |"
  echo
  echo "Packages added to debian:bookworm-slim: $added"
  echo
  echo "Left out of those packages (dpkg path-exclude; no binary loads them, ldd inside the image checked): $excluded"
  echo
  echo "Labels:"
  echo
  echo '```'
  echo "$labels"
  echo '```'
  echo
  echo "Largest packages (installed size):"
  echo
  echo '```'
  tail -n +2 "$out/sbom.tsv" | sort -t$'\t' -k4,4nr | head -12 | awk -F'\t' '{ printf "%-24s %-28s %6d KiB\n", $1, $2, $4 }'
  echo '```'
} >"$out/summary.md"
mkdir -p bench/results
cp "$out/summary.md" "bench/results/image-$date_utc.md"
cp "$out/sbom.tsv" "bench/results/image-$date_utc-sbom.tsv"
cat "$out/summary.md"

if ((uncompressed > max_mb * 1000000 || layers > max_mb * 1000000)); then
  echo "FAIL image is $(mb "$uncompressed") MB ($layers_shown in layers), over the" \
    "$max_mb MB limit (IMAGE_MAX_MB)" >&2
  exit 1
fi
