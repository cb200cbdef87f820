#!/usr/bin/env bash
# make bench: the performance table of the README (section Performance), in one command.
#
# 1. Generates BENCH_LINES order lines (default 1,000,000; customers a tenth
#    of that) with the project's DemoGenerator, seed 42, ending 2025-06-30.
# 2. Starts analytics-server on an empty temporary database and, from a
#    separate client process over a real gRPC channel (bench-client):
#    ingests them with IngestTransactions; SIGKILLs the server as soon as the
#    RPC returned and counts the lines in the file (durability); restarts it
#    on that database (start-up after a crash), stops it and starts it again
#    (start-up time); times each read call (p50 / p99, and
#    RFM right after a write); drives GetKpis with h2load at 1, 16 and 64
#    concurrent streams (one real call checks grpc-status, since h2load only
#    sees HTTP 200); reads the server's RSS. The "cold" rows ask each read
#    RPC with a filter no earlier call asked (bench-client cold).
# 3. Imports the same lines as CSV with ImportCsv into another empty database
#    and times the first unfiltered RFM summary; imports them again (a bulk
#    upsert over the loaded lines) and times it again.
# 4. Loads the same CSV into the sqlite3 CLI and into DuckDB (npm
#    @duckdb/node-api, installed into bench/peers/node_modules) and times the
#    equivalent SQL (bench/peers/*/).
# 5. Prints one table — every row, met or not — and writes it with the
#    machine's details to bench/results/<date>-<host>.md (and latest.md).
#
# Environment: BUILD_DIR (default build), BENCH_LINES, BENCH_CUSTOMERS,
# BENCH_REPEAT (calls per latency figure, default 50), BENCH_PEER_REPEAT
# (default 5), BENCH_COLD_REPEAT (filters never asked before per cold row,
# default and at most 12), BENCH_SKIP_PEERS=1, BENCH_SKIP_PG=1 (no PostgreSQL column:
# bench/pg_bench.sh), BENCH_RESULTS (output file),
# BENCH_MEMORY_BUDGET_MB (the server's --memory-budget-mb; its default is
# 1024, too small for the columnar copy of 10M lines).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
LINES=${BENCH_LINES:-1000000}
CUSTOMERS=${BENCH_CUSTOMERS:-$((LINES / 10))}
SEED=42
END_DATE=2025-06-30
REPEAT=${BENCH_REPEAT:-50}
PEER_REPEAT=${BENCH_PEER_REPEAT:-5}
COLD_REPEAT=${BENCH_COLD_REPEAT:-12}  # at most 12: the distinct filters of bench-client cold
WORK=$ROOT/bench/work
SERVER=$BUILD_DIR/service/server/analytics-server
CLIENT=$BUILD_DIR/bench/bench-client
RESULTS=$WORK/results.env
SERVER_PID=""
SERVER_FLAGS=()
[[ -n "${BENCH_MEMORY_BUDGET_MB:-}" ]] && SERVER_FLAGS+=(--memory-budget-mb "$BENCH_MEMORY_BUDGET_MB")

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
record() { echo "$1=$2" >>"$RESULTS"; }
value() { sed -n "s/^$1=//p" "$RESULTS" | tail -1; }

cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then kill -KILL "$SERVER_PID"; fi
}
trap cleanup EXIT

for tool in "$SERVER" "$CLIENT"; do
  [[ -x "$tool" ]] || { echo "missing $tool: run 'make build' (or set BUILD_DIR)" >&2; exit 1; }
done
if ! command -v h2load >/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    log "installing h2load (Debian nghttp2-client)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nghttp2-client >/dev/null || true
  fi
  command -v h2load >/dev/null || log "h2load not found (Debian package nghttp2-client): throughput rows will say n/a"
fi

rm -rf "$WORK"
mkdir -p "$WORK"
: >"$RESULTS"

# Starts the server on database $1; sets SERVER_PID, ADDR and STARTUP_S (from
# exec to the "listening on" line, i.e. including loading the engine).
start_server() {
  local out=$WORK/server-$2.out
  : >"$out"
  local t0
  t0=$(date +%s.%N)
  "$SERVER" --listen 127.0.0.1:0 --db "$1" --metrics-listen "" --log-level warn "${SERVER_FLAGS[@]}" \
    >"$out" 2>>"$WORK/server.log" &
  SERVER_PID=$!
  until grep -q '^listening on ' "$out"; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      echo "the server exited; its log:" >&2
      tail -20 "$WORK/server.log" >&2
      exit 1
    fi
    sleep 0.005
  done
  STARTUP_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
  ADDR=$(sed -n 's/^listening on //p' "$out" | head -1)
}

stop_server() {  # $1: signal
  kill "-$1" "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

rss_mib() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }
hwm_mib() { awk '/^VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status"; }

record latency_repeat "$REPEAT"
record memory_budget_mb "${BENCH_MEMORY_BUDGET_MB:-default}"
record peer_repeat "$PEER_REPEAT"
record cold_repeat "$COLD_REPEAT"
data_flags=(--lines "$LINES" --customers "$CUSTOMERS" --seed "$SEED" --end-date "$END_DATE")

log "generating $LINES lines, $CUSTOMERS customers (seed $SEED)"
"$CLIENT" gen-csv "${data_flags[@]}" "$WORK/lines.csv" >>"$RESULTS"

# --- ours: ingest, durability, start-up, latency, throughput, RSS ----------
log "IngestTransactions into an empty database"
start_server "$WORK/ingest.db" ingest
"$CLIENT" ingest --server "$ADDR" "${data_flags[@]}" >>"$RESULTS"
stop_server KILL
# Rows plus the lines still in the write log (order_store.h): the server
# logs a bulk write as batches and folds them into rows in the background.
# Exact here, as the generated lines' keys are distinct.
record durable_lines "$(sqlite3 "$WORK/ingest.db" 'SELECT (SELECT COUNT(*) FROM order_lines) + (SELECT COALESCE(SUM(line_count), 0) FROM line_batches WHERE id > (SELECT folded_through FROM store_meta))')"
log "after SIGKILL the file holds $(value durable_lines) of $(value ingest_lines) lines"

log "restarting on the database the SIGKILL left (SQLite replays its log)"
start_server "$WORK/ingest.db" recover
record startup_after_kill_s "$STARTUP_S"
stop_server TERM
log "restarting on the $LINES-line database after a clean shutdown"
start_server "$WORK/ingest.db" main
record startup_s "$STARTUP_S"
record rss_loaded_mib "$(rss_mib)"
"$CLIENT" verify --server "$ADDR" >>"$RESULTS"
log "latency, $REPEAT calls each"
"$CLIENT" latency --server "$ADDR" --end-date "$END_DATE" --repeat "$REPEAT" >>"$RESULTS"
log "predictions (issue 15): fit, cached pages, fit right after a write"
"$CLIENT" predictions --server "$ADDR" --end-date "$END_DATE" --repeat "$REPEAT" >>"$RESULTS"
log "cold: $COLD_REPEAT filters never asked before, per read RPC"
"$CLIENT" cold --server "$ADDR" --end-date "$END_DATE" --repeat "$COLD_REPEAT" >>"$RESULTS"

if command -v h2load >/dev/null; then
  "$CLIENT" payload "$WORK/kpis.grpc"
  for streams in 1 16 64; do
    requests=$((streams == 1 ? 5000 : 50000))
    log "h2load GetKpis, $streams concurrent streams, $requests requests"
    h2load -n "$requests" -c 1 -m "$streams" -t 1 \
      -H 'content-type: application/grpc' -H 'te: trailers' -d "$WORK/kpis.grpc" \
      --log-file="$WORK/h2load-$streams.log" \
      "http://$ADDR/customer_analytics.v1.AnalyticsService/GetKpis" >"$WORK/h2load-$streams.out"
    record "h2_${streams}_rps" "$(sed -n 's/.*finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$WORK/h2load-$streams.out")"
    record "h2_${streams}_ok" "$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$WORK/h2load-$streams.out")"
    # Column 3 of the log: microseconds from request to the end of the response.
    read -r p50 p99 < <(cut -f3 "$WORK/h2load-$streams.log" | sort -n |
      awk '{ v[NR] = $1 } END { printf "%.3f %.3f\n", v[int(NR * 0.5) + 1] / 1000, v[int(NR * 0.99) + 1] / 1000 }')
    record "h2_${streams}_p50_ms" "$p50"
    record "h2_${streams}_p99_ms" "$p99"
  done
  # h2load counts HTTP 200s; a real client checks the gRPC status.
  "$CLIENT" verify --server "$ADDR" | grep '^grpc_status=' | sed 's/^/h2_sample_/' >>"$RESULTS"
fi
record rss_after_mib "$(rss_mib)"
record rss_peak_mib "$(hwm_mib)"
stop_server TERM

log "ImportCsv into an empty database"
start_server "$WORK/import.db" import
"$CLIENT" import --server "$ADDR" "$WORK/lines.csv" >>"$RESULTS"
"$CLIENT" first-rfm --server "$ADDR" >>"$RESULTS"
log "ImportCsv of the same lines again (a bulk upsert into the loaded store), then RFM"
"$CLIENT" import --server "$ADDR" "$WORK/lines.csv" | sed 's/^import_/reimport_/' >>"$RESULTS"
"$CLIENT" first-rfm --server "$ADDR" |
  sed -e 's/^first_rfm_after_import/first_rfm_after_reimport/' -e 's/^first_rfm_connect/first_rfm_reimport_connect/' >>"$RESULTS"
stop_server TERM

# --- peers -------------------------------------------------------------------
QUERIES=(kpis_all kpis_filtered breakdown_region breakdown_category trend_month rfm_summary
  customers_gold)
START=$(date -d "$END_DATE - 89 days" +%F)
PREV_START=$(date -d "$END_DATE - 179 days" +%F)
if [[ "${BENCH_SKIP_PEERS:-0}" != 1 ]]; then
  log "sqlite3: .import and the equivalent SQL, $PEER_REPEAT runs each"
  # sqlite3's .timer does not time dot-commands: time the whole process (its
  # start-up is a millisecond).
  t0=$(date +%s.%N)
  {
    echo "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
    echo "CREATE TABLE lines (row_id TEXT, order_id TEXT, order_date TEXT, ship_date TEXT,"
    echo "  ship_mode TEXT, customer_id TEXT, customer_name TEXT, segment TEXT, country TEXT,"
    echo "  city TEXT, state TEXT, postal_code TEXT, region TEXT, product_id TEXT, category TEXT,"
    echo "  sub_category TEXT, product_name TEXT, sales REAL, quantity INTEGER, discount REAL,"
    echo "  profit REAL);"
    echo ".import --csv --skip 1 $WORK/lines.csv lines"
  } | sqlite3 "$WORK/peer.db" >/dev/null
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f\n", b - a }' >"$WORK/sqlite-import.out"
  record sqlite_load_seconds "$(cat "$WORK/sqlite-import.out")"
  for q in "${QUERIES[@]}"; do
    sql=$(sed -e "s/{{START}}/$START/g; s/{{END}}/$END_DATE/g; s/{{PREV_START}}/$PREV_START/g" \
      "$ROOT/bench/peers/sqlite/$q.sql")
    {
      echo ".timer on"
      for _ in $(seq 0 "$PEER_REPEAT"); do echo "$sql"; done
    } | sqlite3 "$WORK/peer.db" | grep '^Run Time' | tail -n +2 | awk '{ print $4 * 1000 }' |
      sort -n >"$WORK/sqlite-$q.ms"
    record "sqlite_${q}_p50_ms" "$(awk '{ v[NR] = $1 } END { print v[int(NR * 0.5) + 1] }' "$WORK/sqlite-$q.ms")"
  done

  log "DuckDB (npm @duckdb/node-api, 2 threads): CSV load and the equivalent SQL"
  if [[ ! -d "$ROOT/bench/peers/node_modules/@duckdb/node-api" ]]; then
    (cd "$ROOT/bench/peers" && npm ci --no-audit --no-fund --silent) ||
      log "npm could not install @duckdb/node-api: DuckDB column will say n/a"
  fi
  if [[ -d "$ROOT/bench/peers/node_modules/@duckdb/node-api" ]]; then
    START=$START END=$END_DATE PREV_START=$PREV_START \
      node "$ROOT/bench/peers/duckdb_run.mjs" "$WORK/lines.csv" "$ROOT/bench/peers/duckdb" \
      "$PEER_REPEAT" "${QUERIES[@]}" >>"$RESULTS"
    log "DuckDB: the cold rows' filters (bench/peers/duckdb_cold.mjs)"
    node "$ROOT/bench/peers/duckdb_cold.mjs" "$WORK/lines.csv" "$ROOT/bench/peers/duckdb/cold" \
      "$COLD_REPEAT" "$END_DATE" >>"$RESULTS"
  fi
fi

# --- the table ---------------------------------------------------------------
"$ROOT/bench/report.sh" "$RESULTS" "$LINES" "$CUSTOMERS" "$BUILD_DIR" "${BENCH_RESULTS:-}"

# --- PostgreSQL: two replicas on one database (README "Scaling out") -------
if [[ "${BENCH_SKIP_PG:-}" != 1 ]]; then
  BUILD_DIR=$BUILD_DIR BENCH_LINES=$LINES BENCH_CUSTOMERS=$CUSTOMERS BENCH_SQLITE_RESULTS=$RESULTS \
    "$ROOT/bench/pg_bench.sh"
fi
