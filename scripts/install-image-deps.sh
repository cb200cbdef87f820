#!/usr/bin/env bash
# Installs the Debian 12 packages `make image` needs to build and run the
# container image without a Docker engine or a reachable registry: buildah
# (builds deploy/Dockerfile, runs the image), debootstrap (makes the Debian
# base image from Debian packages when no local base exists), and the tools
# the image scripts use. Kept apart from install-deps.sh so `make test`'s
# dependencies stay as they are. As root it runs apt-get; otherwise it prints
# the sudo command and fails.
set -euo pipefail

packages=(buildah debootstrap jq python3 python3-grpcio python3-protobuf)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "Missing Debian packages: ${missing[*]}" >&2
if [[ $(id -u) -ne 0 ]]; then
  echo "Run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
