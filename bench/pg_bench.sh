#!/usr/bin/env bash
# The PostgreSQL column of `make bench` (bench/run.sh runs it last; alone:
# bench/pg_bench.sh). Starts a throw-away PostgreSQL 15 (initdb in a
# temporary directory, a free loopback port; as the postgres user when run
# as root), two analytics-server replicas A and B on it, and measures:
#   - ingest: BENCH_LINES lines through IngestTransactions on A (one
#     PostgreSQL transaction; acknowledged = durable, synchronous_commit on);
#   - replica lag: a 20-line write acknowledged on A -> the same write
#     answered on B (a read carrying the write's consistency token), p50/p99
#     over BENCH_LAG_REPEAT rounds (bench-replica-lag);
#   - reads on each replica: h2load GetKpis, 16 concurrent streams;
#   - B's start-up on the loaded database (snapshot load into its copy).
# Prints a table and writes it to bench/results/<date>-<host>-postgres.md,
# with the machine, the commit and the load average at start and end.
# Run by bench/run.sh, BENCH_SQLITE_RESULTS names that run's results, and
# the table puts the SQLite server's ingest and 16-stream GetKpis from the
# same run beside PostgreSQL's (with the ratio); alone, those cells say so.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build}
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
LINES=${BENCH_LINES:-1000000}
CUSTOMERS=${BENCH_CUSTOMERS:-$((LINES / 10))}
LAG_REPEAT=${BENCH_LAG_REPEAT:-200}
SERVER=$BUILD_DIR/service/server/analytics-server
CLIENT=$BUILD_DIR/bench/bench-client
LAG=$BUILD_DIR/bench/bench-replica-lag
PG_BIN=/usr/lib/postgresql/15/bin
WORK=$(mktemp -d /tmp/analytics-pg-bench-XXXXXX)
RESULTS=$WORK/results.env
PIDS=()
OUT=${BENCH_PG_RESULTS:-$ROOT/bench/results/$(date +%Y-%m-%d)-$(hostname)-postgres.md}

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD_START=$(loadavg)
log() { echo "[pg-bench $(date +%H:%M:%S)] $*" >&2; }
record() { echo "$1=$2" >>"$RESULTS"; }
value() { sed -n "s/^$1=//p" "$RESULTS" | tail -1; }
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

cleanup() {
  local status=$?
  if [[ $status != 0 && -f "$WORK/server.log" ]]; then
    echo "pg-bench failed; the servers' log ends:" >&2
    tail -30 "$WORK/server.log" >&2
  fi
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  [[ -n "${BENCH_PG_LOG:-}" && -f "$WORK/server.log" ]] && cp "$WORK/server.log" "$BENCH_PG_LOG"
  as_pg "$PG_BIN/pg_ctl" -D "$WORK/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

for tool in "$SERVER" "$CLIENT" "$LAG" "$PG_BIN/initdb"; do
  [[ -x "$tool" ]] || { echo "missing $tool (make build; postgresql-15)" >&2; exit 1; }
done
[[ $(id -u) == 0 ]] && chown postgres "$WORK"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
as_pg "$PG_BIN/initdb" -D "$WORK/data" -A trust -U postgres -E UTF8 --locale C >/dev/null
# Durable commits (fsync and synchronous_commit at their defaults).
as_pg "$PG_BIN/pg_ctl" -D "$WORK/data" -l "$WORK/pg.log" -w \
  -o "-p $PORT -k $WORK -c listen_addresses=127.0.0.1 -c shared_buffers=256MB -c max_wal_size=4GB" \
  start >/dev/null
"$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PORT" -U postgres -c "CREATE DATABASE bench" postgres
DSN="postgresql://postgres@127.0.0.1:$PORT/bench"

start_server() {  # $1 name, then extra flags; sets ADDR_<name>, STARTUP_S
  local name=$1 out=$WORK/server-$1.out t0
  shift
  : >"$out"
  t0=$(date +%s.%N)
  "$SERVER" --listen 127.0.0.1:0 --db "$DSN" --metrics-listen "" --log-level "${BENCH_PG_LOG_LEVEL:-warn}" \
    --memory-budget-mb "${BENCH_MEMORY_BUDGET_MB:-4096}" "$@" >"$out" 2>>"$WORK/server.log" &
  PIDS+=($!)
  until grep -q '^listening on ' "$out"; do
    kill -0 "${PIDS[-1]}" 2>/dev/null || { tail -20 "$WORK/server.log" >&2; exit 1; }
    sleep 0.005
  done
  STARTUP_S=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
  printf -v "ADDR_$name" '%s' "$(sed -n 's/^listening on //p' "$out" | head -1)"
}

start_server A
log "IngestTransactions: $LINES lines into PostgreSQL through A"
"$CLIENT" ingest --server "$ADDR_A" --lines "$LINES" --customers "$CUSTOMERS" --seed 42 \
  --end-date 2025-06-30 >>"$RESULTS"
log "starting B on the loaded database"
start_server B
record startup_b_s "$STARTUP_S"
log "replica lag, $LAG_REPEAT writes on A read on B with their token"
"$LAG" --writer "$ADDR_A" --reader "$ADDR_B" --repeat "$LAG_REPEAT" >>"$RESULTS"
log "starting C (--engine sql) and comparing GetKpis, GetRfmSummary, ListCustomers on A, B, C"
start_server C --engine sql
"$LAG" --compare "$ADDR_C,$ADDR_A,$ADDR_B" >>"$RESULTS" || true
if command -v h2load >/dev/null; then
  "$CLIENT" payload "$WORK/kpis.grpc"
  for replica in A B; do
    addr_var="ADDR_$replica"
    log "h2load GetKpis on $replica, 16 streams"
    h2load -n 20000 -c 1 -m 16 -t 1 -H 'content-type: application/grpc' -H 'te: trailers' \
      -d "$WORK/kpis.grpc" "http://${!addr_var}/customer_analytics.v1.AnalyticsService/GetKpis" \
      >"$WORK/h2load-$replica.out"
    record "reads_${replica}_rps" \
      "$(sed -n 's/.*finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$WORK/h2load-$replica.out")"
    record "reads_${replica}_ok" \
      "$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' "$WORK/h2load-$replica.out")"
  done
fi

LOAD_END=$(loadavg)
SQLITE_RESULTS=${BENCH_SQLITE_RESULTS:-}
sqlite_value() {
  [[ -n "$SQLITE_RESULTS" && -f "$SQLITE_RESULTS" ]] && sed -n "s/^$1=//p" "$SQLITE_RESULTS" | tail -1
  return 0
}
# $2 (SQLite) in unit $3 with the ratio $1 / $2, or a note when SQLite did not run here.
ratio() {
  if [[ -z "$2" || -z "$1" ]]; then echo "n/a (alone: make bench fills it)"; return; fi
  awk -v p="$1" -v s="$2" -v u="$3" 'BEGIN { printf "%s %s (PostgreSQL %.2fx)", s, u, p / s }'
}
SQLITE_INGEST=$(sqlite_value ingest_lines_per_s)
SQLITE_READS=$(sqlite_value h2_16_rps)

table=$(cat <<TABLE
| PostgreSQL 15, two replicas ($LINES lines) | measured | SQLite, same make bench run |
| --- | --- | --- |
| ingest through A (IngestTransactions, one transaction) | $(value ingest_lines_per_s) lines/s ($(value ingest_seconds) s) | $(ratio "$(value ingest_lines_per_s)" "$SQLITE_INGEST" lines/s) |
| B start-up on the loaded database (snapshot into its copy) | $(value startup_b_s) s | |
| replica lag, write acknowledged on A -> answered on B, p50 / p99 ($LAG_REPEAT writes) | $(value lag_p50_ms) / $(value lag_p99_ms) ms | |
| GetKpis, GetRfmSummary, ListCustomers: A and B identical to the SQL engine (C) | $( [[ $(value identical) == 1 ]] && echo yes || echo NO) | |
| GetKpis on A, 16 streams (h2load, 20,000 calls) | $(value reads_A_rps) req/s ($(value reads_A_ok) ok) | $(ratio "$(value reads_A_rps)" "$SQLITE_READS" req/s) |
| GetKpis on B, 16 streams (h2load, 20,000 calls) | $(value reads_B_rps) req/s ($(value reads_B_ok) ok) | $(ratio "$(value reads_B_rps)" "$SQLITE_READS" req/s) |
TABLE
)
echo "$table"
echo "load average (1/5/15 min): $LOAD_START at start, $LOAD_END at end"
mkdir -p "$(dirname "$OUT")"
{
  echo "# make bench, PostgreSQL column, $(date -u +%Y-%m-%dT%H:%MZ) on $(hostname)"
  echo
  echo "CPU: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1); commit $(git -C "$ROOT" describe --always --dirty)"
  echo
  echo "Load average (1/5/15 min): $LOAD_START at start, $LOAD_END at end (the machine is shared)."
  echo
  echo "$table"
} >"$OUT"
log "written to $OUT"
