#!/usr/bin/env bash
# The vendored chart library (web/vendor/) against its pinned source, npm
# uplot (package.json + package-lock.json, with its integrity).
#   sync.sh --check WORK_DIR   fails when a copy differs from the pinned package
#   sync.sh --update WORK_DIR  rewrites the copies from the pinned package
# WORK_DIR receives the npm install (a build-tree folder; kept between runs).
set -euo pipefail
mode=${1:?usage: sync.sh --check|--update WORK_DIR}
work=${2:?usage: sync.sh --check|--update WORK_DIR}
here=$(cd "$(dirname "$0")" && pwd)
# vendored copy <- file in node_modules
copies=(
  "vendor/uPlot.iife.min.js uplot/dist/uPlot.iife.min.js"
  "vendor/uPlot.min.css uplot/dist/uPlot.min.css"
  "vendor/uPlot.LICENSE uplot/LICENSE"
)

mkdir -p "$work"
cp "$here/package.json" "$here/package-lock.json" "$work/"
stamp=$work/node_modules/.installed-package-lock.json
if ! { [[ -f $stamp ]] && cmp -s "$work/package-lock.json" "$stamp"; }; then
  (cd "$work" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$work/package-lock.json" "$stamp"
fi
status=0
for pair in "${copies[@]}"; do
  read -r copy source <<<"$pair"
  case $mode in
    --check)
      if ! cmp -s "$work/node_modules/$source" "$here/$copy"; then
        echo "web/$copy differs from $source of the pinned package" >&2
        status=1
      fi ;;
    --update) cp "$work/node_modules/$source" "$here/$copy" ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
  esac
done
[[ $status -eq 0 ]] && echo "web/vendor matches uplot $(node -p "require('$work/node_modules/uplot/package.json').version")"
exit $status
