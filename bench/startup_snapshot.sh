#!/usr/bin/env bash
# Start-up with the columnar engine's snapshot (issue 16; query/columnar/snapshot.h), in one command:
#   bench/startup_snapshot.sh            (BENCH_LINES, default 1,000,000; BUILD_DIR, default build)
#
# On one database of BENCH_LINES generated lines (bench-client ingest over gRPC, seed 42), times
# exec -> "listening on" (the engine loaded, as bench/run.sh's start-up rows) for:
#   store     --engine-snapshot=false after a clean stop: every line read from SQLite (the peer)
#   snapshot  after a clean stop (SIGTERM wrote the snapshot): nothing to replay
#   replay    after SIGKILL following a 10,000-line ingest beyond the snapshot
#   kill      after SIGKILL right after the bulk ingest (as run.sh's row): the ingest, one write of
#             at least 100,000 lines, put its snapshot in place before it answered (fsync later),
#             so the start reads it and replays nothing; the log tells
# Each row: median of BENCH_STARTS (default 3) starts, and what the server logged about the
# snapshot. Writes bench/results/<date>-<host>-startup-snapshot.md with the machine's details
# and the load average before and after.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
LINES=${BENCH_LINES:-1000000}
CUSTOMERS=$((LINES / 10))
STARTS=${BENCH_STARTS:-3}
SERVER=$BUILD_DIR/service/server/analytics-server
CLIENT=$BUILD_DIR/bench/bench-client
WORK=$ROOT/bench/work-startup
OUT=${BENCH_RESULTS:-$ROOT/bench/results/$(date -u +%Y-%m-%d)-$(hostname)-startup-snapshot.md}
SERVER_PID=""
FLAGS=()
[[ -n "${BENCH_MEMORY_BUDGET_MB:-}" ]] && FLAGS+=(--memory-budget-mb "$BENCH_MEMORY_BUDGET_MB")

log() { echo "[startup $(date +%H:%M:%S)] $*" >&2; }
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -KILL "$SERVER_PID"; fi
}
trap cleanup EXIT
for tool in "$SERVER" "$CLIENT"; do
  [[ -x "$tool" ]] || { echo "missing $tool: build analytics-server and bench-client" >&2; exit 1; }
done
rm -rf "$WORK"
mkdir -p "$WORK"
DB=$WORK/startup.db

# start NAME [flags...]: sets SERVER_PID, ADDR, STARTUP_S; the log goes to $WORK/NAME.log.
start() {
  local name=$1
  shift
  local out=$WORK/$name.out
  : >"$out"
  local t0
  t0=$(date +%s.%N)
  "$SERVER" --listen 127.0.0.1:0 --db "$DB" --metrics-listen "" "${FLAGS[@]}" "$@" \
    >"$out" 2>"$WORK/$name.log" &
  SERVER_PID=$!
  until grep -q '^listening on ' "$out"; do
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$WORK/$name.log" >&2; exit 1; }
    sleep 0.005
  done
  STARTUP_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
  ADDR=$(sed -n 's/^listening on //p' "$out" | head -1)
}
stop() {
  kill "-$1" "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}
said() { sed -n 's/.*engine snapshot [^ ]*[: ] *\(used: [0-9]* lines replayed[^;]*\|not used (.*)\|none yet\).*/\1/p' "$WORK/$1.log" | head -1; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
ingest() { "$CLIENT" ingest --server "$ADDR" --lines "$1" --customers "$2" --seed "$3" --end-date 2025-06-30 >/dev/null; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
log "ingesting $LINES lines into an empty database"
start load
ingest "$LINES" "$CUSTOMERS" 42
stop TERM
log "after the clean stop: $(grep -o 'snapshot saved at stop ([0-9]* ms)\|written by the write[^:]*: [0-9]* lines in [0-9]* ms\|on disk: [0-9]* lines in [0-9]* ms' "$WORK/load.log" | tr '\n' ';')"
SNAPSHOT_MB=$(awk -v b="$(stat -c %s "$DB.engine-snapshot")" 'BEGIN { printf "%.1f", b / 1048576 }')

declare -A TIMES SAID
run_row() {  # row name, then the server's flags
  local row=$1
  shift
  local times=()
  for i in $(seq "$STARTS"); do
    start "$row-$i" "$@"
    times+=("$STARTUP_S")
    SAID[$row]=$(said "$row-$i")
    stop TERM
  done
  TIMES[$row]=$(printf '%s\n' "${times[@]}" | median)
  log "$row: ${times[*]} s (median ${TIMES[$row]}); ${SAID[$row]:-no snapshot line}"
}
run_row store --engine-snapshot=false
run_row snapshot

times=()
for i in $(seq "$STARTS"); do
  start "before-replay-$i"
  ingest 10000 1000 $((100 + i))
  stop KILL
  start "replay-$i"
  times+=("$STARTUP_S")
  SAID[replay]=$(said "replay-$i")
  stop TERM  # writes a fresh snapshot for the next round
done
TIMES[replay]=$(printf '%s\n' "${times[@]}" | median)
log "replay: ${times[*]} s (median ${TIMES[replay]}); ${SAID[replay]}"

log "kill right after a bulk ingest into an empty database"
rm -f "$DB" "$DB-wal" "$DB-shm" "$DB.engine-snapshot"
start kill-load
ingest "$LINES" "$CUSTOMERS" 42
stop KILL
start kill
TIMES[kill]=$STARTUP_S
SAID[kill]=$(said kill)
stop TERM
log "kill: ${TIMES[kill]} s; ${SAID[kill]}"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

mkdir -p "$(dirname "$OUT")"
{
  echo "# Start-up with the engine snapshot, $LINES lines / $CUSTOMERS customers"
  echo
  echo "bench/startup_snapshot.sh, $(date -u '+%Y-%m-%d %H:%M UTC'), $(hostname): $(nproc) cores," \
    "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
    "$(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1); commit $(git -C "$ROOT" rev-parse --short HEAD)."
  echo "Load average (1/5/15 min) before: $LOAD_BEFORE; after: $LOAD_AFTER (machine shared)."
  echo "Snapshot file: $SNAPSHOT_MB MiB. Start-up = exec to the 'listening on' line (engine loaded)," \
    "median of $STARTS starts."
  echo
  echo "| start-up | seconds | ratio to store | target (1M / 10M) | what the server logged |"
  echo "| --- | --- | --- | --- | --- |"
  for row in store snapshot replay kill; do
    case $row in
      store) what="built from the store (--engine-snapshot=false), clean stop" ;;
      snapshot) what="from the snapshot, clean stop" ;;
      replay) what="from the snapshot + 10,000 lines replayed, after SIGKILL" ;;
      kill) what="SIGKILL right after the bulk ingest" ;;
    esac
    ratio=$(awk -v a="${TIMES[store]}" -v b="${TIMES[$row]}" 'BEGIN { printf "%.2fx", a / b }')
    echo "| $what | ${TIMES[$row]} | $ratio | ≤ 1 s / ≤ 3 s | ${SAID[$row]:-no snapshot line} |"
  done
} >"$OUT"
cat "$OUT"
