#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the tests and `make run` need,
# skipping those already present. As root it runs apt-get; otherwise it prints
# the sudo command to run and fails, so nothing half-works.
set -euo pipefail

packages=(
  # build
  cmake g++ make pkg-config ccache
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  libabsl-dev libspdlog-dev libsqlite3-dev libcpp-httplib-dev libssl-dev libxxhash-dev
  # the PostgreSQL store (libpq)
  libpq-dev
  # fuzzing (make fuzz) and the TLS tests' certificates
  clang-14 libclang-rt-14-dev openssl
  # tests
  # a real PostgreSQL 15 for the PostgreSQL store's tests (tests/support/postgres.h)
  postgresql
  libgtest-dev libgmock-dev sqlite3 nodejs npm
  python3 python3-grpcio python3-protobuf python3-prometheus-client python3-h2
  # predictions_match_scipy checks the fit by independent arithmetic (SciPy, tests only)
  python3-scipy
  # the dashboard's browser tests (driven by npm puppeteer-core, tests/web)
  chromium fonts-dejavu-core
  # the container image, built and run by make test (make image-test; the same
  # list as scripts/install-image-deps.sh)
  buildah debootstrap jq
)
if [[ ${1:-} == --sanitizers ]]; then
  packages+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from outside Debian (e.g. a preinstalled nodesource
# build); an existing node + npm on PATH is as good as the packages.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]}")
fi
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "Missing Debian packages: ${missing[*]}" >&2
if [[ $(id -u) -ne 0 ]]; then
  echo "Run:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
