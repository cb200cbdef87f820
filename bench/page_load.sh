#!/usr/bin/env bash
# make bench-page: the dashboard's load time on the demo data in headless
# Debian chromium (bench/page_load.mjs), cold and warm, median of
# BENCH_PAGE_LOADS loads (default 15), with where the time went. Writes
# bench/results/page-load-<date>.md (machine, commit, load average) and
# prints it. Kept apart from bench/run.sh: it needs the browser tools of the
# tests (tests/web/install_browser_tools.sh), not the bench's peers.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
TOOLS=$BUILD_DIR/tests/web/browser-tools
[[ -f $TOOLS/package-lock.json ]] || { echo "configure $BUILD_DIR first (cmake)" >&2; exit 1; }
"$ROOT/tests/web/install_browser_tools.sh" "$TOOLS" >&2
OUT=${BENCH_PAGE_RESULTS:-$ROOT/bench/results/page-load-$(date -u +%Y-%m-%d).md}
node "$ROOT/bench/page_load.mjs" "$BUILD_DIR/service/server/analytics-server" "$TOOLS/node_modules" \
  "${BENCH_PAGE_LOADS:-15}" "$OUT"
echo "written to $OUT" >&2
