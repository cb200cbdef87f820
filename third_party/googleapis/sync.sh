#!/usr/bin/env bash
# The vendored googleapis protos (google/rpc, google/api) against their pinned source, npm
# google-proto-files (package.json + package-lock.json, with its integrity).
#   sync.sh --check WORK_DIR   fails when a copy differs from the pinned package
#   sync.sh --update WORK_DIR  rewrites the copies from the pinned package
# WORK_DIR receives the npm install (a build-tree folder; kept between runs).
set -euo pipefail
mode=${1:?usage: sync.sh --check|--update WORK_DIR}
work=${2:?usage: sync.sh --check|--update WORK_DIR}
here=$(cd "$(dirname "$0")" && pwd)
files=(google/rpc/status.proto google/rpc/error_details.proto
       google/api/annotations.proto google/api/http.proto)

mkdir -p "$work"
cp "$here/package.json" "$here/package-lock.json" "$work/"
stamp=$work/node_modules/.installed-package-lock.json
if ! { [[ -f $stamp ]] && cmp -s "$work/package-lock.json" "$stamp"; }; then
  # google-proto-files declares node >= 22 but only its JavaScript needs it;
  # the .proto files are plain data.
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error --engine-strict=false)
  cp "$work/package-lock.json" "$stamp"
fi
pinned=$work/node_modules/google-proto-files
status=0
for f in "${files[@]}"; do
  case $mode in
    --check)
      if ! cmp -s "$pinned/$f" "$here/$f"; then
        echo "third_party/googleapis/$f differs from google-proto-files $(
          node -p "require('$pinned/package.json').version"):" >&2
        diff -u "$here/$f" "$pinned/$f" >&2 || true
        status=1
      fi ;;
    --update) cp "$pinned/$f" "$here/$f" ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
  esac
done
cp "$pinned/LICENSE" "$work/LICENSE.pinned"
if ! cmp -s "$work/LICENSE.pinned" "$here/LICENSE"; then
  [[ $mode == --update ]] && cp "$work/LICENSE.pinned" "$here/LICENSE" ||
    { echo "third_party/googleapis/LICENSE differs from the pinned package's" >&2; status=1; }
fi
[[ $status -eq 0 ]] && echo "vendored googleapis protos match the pinned google-proto-files"
exit $status
