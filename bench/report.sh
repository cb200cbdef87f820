#!/usr/bin/env bash
# Turns the key=value results of bench/run.sh into the benchmark table, with
# the machine's details, prints it and writes it to bench/results/.
#
# Usage: report.sh RESULTS_ENV LINES CUSTOMERS BUILD_DIR [OUTPUT_FILE]
set -euo pipefail

RESULTS=$1
LINES=$2
CUSTOMERS=$3
BUILD_DIR=$4
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATE=$(date +%F)
HOST=$(hostname -s 2>/dev/null || hostname)
OUT=${5:-$ROOT/bench/results/$DATE-$HOST-$LINES.md}
mkdir -p "$(dirname "$OUT")"

v() { sed -n "s/^$1=//p" "$RESULTS" | tail -1; }
num() { [[ -n "$1" && "$1" != "-1" ]]; }
fmt_ms() { if num "$1"; then awk -v x="$1" 'BEGIN { printf (x < 10 ? "%.2f ms" : "%.0f ms"), x }'; else echo "n/a"; fi; }
fmt_int() { if num "$1"; then printf "%'d" "${1%.*}"; else echo "n/a"; fi; }
# ratio A / B, "×" suffix
ratio() { if num "$1" && num "$2"; then awk -v a="$1" -v b="$2" 'BEGIN { printf (a / b < 10 ? "%.1f×" : "%.0f×"), a / b }'; else echo "—"; fi; }
# met LE|GE VALUE LIMIT
met() {
  if ! num "$2"; then echo "no (n/a)"; return; fi
  awk -v op="$1" -v x="$2" -v t="$3" 'BEGIN { ok = (op == "LE" ? x <= t : x >= t); print (ok ? "**yes**" : "no") }'
}

lines_per_s() {  # lines / seconds
  if num "$2"; then awk -v n="$1" -v s="$2" 'BEGIN { printf "%d", n / s }'; fi
}
SQLITE_LOAD=$(lines_per_s "$LINES" "$(v sqlite_load_seconds)")
DUCK_LOAD=$(v duckdb_load_lines_per_s)

rows=()
row() { rows+=("| $1 | $2 | $3 | $4 | $5 | $6 | $7 | $8 |"); }

latency_row() {  # label target_text ours_key peer_key limit
  local ours p99 sq dk
  ours=$(v "$3_p50_ms")
  p99=$(v "$3_p99_ms")
  sq=$(v "sqlite_$4_p50_ms")
  dk=$(v "duckdb_$4_p50_ms")
  local verdict="—"
  [[ -n "$5" ]] && verdict=$(met LE "$ours" "$5")
  row "$1" "$2" "$(fmt_ms "$ours") (p99 $(fmt_ms "$p99"))" "$(fmt_ms "$sq")" "$(fmt_ms "$dk")" \
    "$(ratio "$sq" "$ours")" "$(ratio "$dk" "$ours")" "$verdict"
}

# The same call right after a one-line write, when no answer is cached.
cold_row() {  # label target_text ours_key peer_key limit
  local ours sq dk
  ours=$(v "$3_after_write_p50_ms")
  sq=$(v "sqlite_$4_p50_ms")
  dk=$(v "duckdb_$4_p50_ms")
  local verdict="—"
  [[ -n "$5" ]] && verdict=$(met LE "$ours" "$5")
  row "$1" "$2" "$(fmt_ms "$ours") (max $(fmt_ms "$(v "$3_after_write_max_ms")"))" "$(fmt_ms "$sq")" \
    "$(fmt_ms "$dk")" "$(ratio "$sq" "$ours")" "$(ratio "$dk" "$ours")" "$verdict"
}

# Issue 16's targets depend on the size: 1M lines / 100k customers, or 10M
# lines / 1M customers (between: the 1M ones).
if (( LINES >= 10000000 )); then
  AFTER_WRITE_MAX=25 GOLD_CACHED_MAX=5 COLD_MAX=60 FIRST_RFM_MAX=150 INGEST_MIN=700000 INGEST_TEXT=700,000
  STARTUP_MAX=3 RSS_MAX_MB=1000
else
  AFTER_WRITE_MAX=5 GOLD_CACHED_MAX=2 COLD_MAX=10 FIRST_RFM_MAX=20 INGEST_MIN=1000000 INGEST_TEXT=1,000,000
  STARTUP_MAX=1 RSS_MAX_MB=200
fi

latency_row "GetKpis, no filter, p50" "≤ 5 ms" kpis_all kpis_all 5
cold_row "GetKpis, no filter, right after a write, p50" "≤ $AFTER_WRITE_MAX ms" kpis kpis_all "$AFTER_WRITE_MAX"
latency_row "GetKpis, last 90 days + region, p50" "≤ 5 ms" kpis_filtered kpis_filtered 5
latency_row "GetBreakdown by region, p50" "≤ 3 ms" breakdown_region breakdown_region 3
cold_row "GetBreakdown by region, right after a write, p50" "≤ $AFTER_WRITE_MAX ms" breakdown_region breakdown_region \
  "$AFTER_WRITE_MAX"
latency_row "GetBreakdown by category, p50" "≤ 3 ms" breakdown_category breakdown_category 3
latency_row "GetSalesTrend by month, p50" "—" trend_month trend_month ""
cold_row "GetSalesTrend by month, right after a write, p50" "≤ $AFTER_WRITE_MAX ms" trend_month trend_month \
  "$AFTER_WRITE_MAX"
latency_row "GetRfmSummary, p50" "≤ 25 ms" rfm_summary rfm_summary 25
cold_row "GetRfmSummary, right after a write, p50" "≤ $AFTER_WRITE_MAX ms" rfm rfm_summary "$AFTER_WRITE_MAX"
latency_row "ListCustomers, Gold, first page, cached, p50" "≤ $GOLD_CACHED_MAX ms" customers_gold customers_gold \
  "$GOLD_CACHED_MAX"
cold_row "ListCustomers, Gold, first page, right after a write, p50" "≤ $AFTER_WRITE_MAX ms" customers_gold \
  customers_gold "$AFTER_WRITE_MAX"
# Predictions (issue 15): from `bench-client predictions` (run after the
# latency rows, so its keys are the ones read).
prediction_rows() {
  latency_row "ListCustomerPredictions, first page by CLV, fit cached, p50" "≤ 10 ms" \
    predictions_page predictions_page 10
  latency_row "ListCustomerPredictions, at risk (P(alive) < 0.5), fit cached, p50" "≤ 10 ms" \
    predictions_at_risk_page predictions_at_risk_page 10
  cold_row "GetPredictionFit (BG/NBD + Gamma-Gamma), right after a write, p50" "≤ 1,000 ms" \
    prediction_fit prediction_fit 1000
  cold_row "ListCustomerPredictions, first page, right after a write (fit included), p50" "—" \
    predictions_page predictions_page ""
  row "GetPredictionFit, first call after start-up" "≤ 1,000 ms" \
    "$(fmt_ms "$(v prediction_fit_first_ms)")" "—" "—" "—" "—" "$(met LE "$(v prediction_fit_first_ms)" 1000)"
}
prediction_rows

# Never-asked filters (bench-client cold, bench/peers/duckdb_cold.mjs): met
# when at most LIMIT ms and at least 10x faster than DuckDB on the same filters.
cold_filter_row() {  # label key limit
  local ours dk verdict="no (n/a)"
  ours=$(v "$2_cold_p50_ms")
  dk=$(v "duckdb_$2_cold_p50_ms")
  if num "$ours" && num "$dk"; then
    verdict=$(awk -v x="$ours" -v d="$dk" -v t="$3" \
      'BEGIN { print (x <= t && d / x >= 10 ? "**yes**" : "no") }')
  fi
  row "$1" "≤ $3 ms and ≥ 10× DuckDB" "$(fmt_ms "$ours") (max $(fmt_ms "$(v "$2_cold_max_ms")"))" "—" \
    "$(fmt_ms "$dk") (max $(fmt_ms "$(v "duckdb_$2_cold_max_ms")"))" "—" "$(ratio "$dk" "$ours")" "$verdict"
}
cold_filter_row "Cold: GetKpis, a region and 90 days never asked before, p50" kpis "$COLD_MAX"
cold_filter_row "Cold: GetBreakdown by sub-category, a region and 90 days never asked before, p50" \
  breakdown_sub_category "$COLD_MAX"
cold_filter_row "Cold: GetSalesTrend by week, a region and 180 days never asked before, p50" trend_week "$COLD_MAX"
cold_filter_row "Cold: GetRfmSummary, a region and a segment never asked before, p50" rfm_summary "$COLD_MAX"
cold_filter_row "Cold: ListCustomers Gold first page, a region and a category never asked before, p50" \
  customers_gold "$COLD_MAX"
FIRST_RFM=$(v first_rfm_after_import_ms)
FIRST_RFM_AGAIN=$(v first_rfm_after_reimport_ms)
FIRST_RFM_WORST=$(awk -v a="${FIRST_RFM:--1}" -v b="${FIRST_RFM_AGAIN:--1}" 'BEGIN { print (a > b ? a : b) }')
row "First unfiltered GetRfmSummary after a bulk import: into an empty store (again over the loaded lines)" \
  "≤ $FIRST_RFM_MAX ms" "$(fmt_ms "$FIRST_RFM") ($(fmt_ms "$FIRST_RFM_AGAIN"))" "—" "$(fmt_ms "$(v duckdb_rfm_summary_p50_ms)")" \
  "—" "$(ratio "$(v duckdb_rfm_summary_p50_ms)" "$FIRST_RFM_WORST")" "$(met LE "$FIRST_RFM_WORST" "$FIRST_RFM_MAX")"

INGEST=$(v ingest_lines_per_s)
IMPORT=$(v import_lines_per_s)
row "Ingest, IngestTransactions, durable, lines/s" "≥ $INGEST_TEXT" "$(fmt_int "$INGEST")" \
  "$(fmt_int "$SQLITE_LOAD") (.import)" "$(fmt_int "$DUCK_LOAD") (CSV)" "$(ratio "$INGEST" "$SQLITE_LOAD")" \
  "$(ratio "$INGEST" "$DUCK_LOAD")" "$(met GE "$INGEST" "$INGEST_MIN")"
row "Ingest, ImportCsv, durable, lines/s" "≥ $INGEST_TEXT" "$(fmt_int "$IMPORT")" \
  "$(fmt_int "$SQLITE_LOAD") (.import)" "$(fmt_int "$DUCK_LOAD") (CSV)" "$(ratio "$IMPORT" "$SQLITE_LOAD")" \
  "$(ratio "$IMPORT" "$DUCK_LOAD")" "$(met GE "$IMPORT" "$INGEST_MIN")"
row "IngestTransactions of one line into the loaded store (replacing a line), p50" "—" \
  "$(fmt_ms "$(v ingest_one_p50_ms)") (max $(fmt_ms "$(v ingest_one_max_ms)"))" "—" "—" "—" "—" "—"
DURABLE=$(v durable_lines)
row "Lines in the file after SIGKILL right after the ingest RPC returned" "all $(fmt_int "$LINES")" \
  "$(fmt_int "$DURABLE")" "—" "—" "—" "—" "$([[ "$DURABLE" == "$LINES" ]] && echo '**yes**' || echo no)"
STARTUP=$(v startup_s)
row "Start-up on the $(fmt_int "$LINES")-line database, after a clean stop" "≤ $STARTUP_MAX s" \
  "${STARTUP:-n/a} s" "—" "—" "—" "—" "$(met LE "$STARTUP" "$STARTUP_MAX")"
STARTUP_KILL=$(v startup_after_kill_s)
row "Start-up on the same database right after the SIGKILL (the snapshot the bulk write put in place)" \
  "≤ $STARTUP_MAX s" "${STARTUP_KILL:-n/a} s" "—" "—" "—" "—" "$(met LE "$STARTUP_KILL" "$STARTUP_MAX")"
RSS=$(v rss_loaded_mib)
RSS_AFTER=$(v rss_after_mib)
mb() { echo $(( ${1:-0} * 1048576 / 1000000 )); }
# Judged on the RSS after every call of the benchmark (the larger figure):
# what the server holds once it has served, not just loaded.
row "Server RSS with the lines loaded: after the benchmark (after start-up; peak)" "≤ $RSS_MAX_MB MB" \
  "$(mb "$RSS_AFTER") MB ($(mb "$RSS") MB; $(mb "$(v rss_peak_mib)") MB)" \
  "—" "—" "—" "—" "$(met LE "$(mb "$RSS_AFTER")" "$RSS_MAX_MB")"
# Bytes of RSS per line: the whole process (engine, SQLite's cache, gRPC)
# over the lines it serves.
row "Server RSS per line, after the benchmark (after start-up)" "—" \
  "$(awk -v r="${RSS_AFTER:-0}" -v n="$LINES" 'BEGIN { printf "%.0f B", r * 1048576 / n }') ($(awk -v r="${RSS:-0}" -v n="$LINES" 'BEGIN { printf "%.0f B", r * 1048576 / n }'))" \
  "—" "—" "—" "—" "—"
for streams in 1 16 64; do
  RPS=$(v "h2_${streams}_rps")
  P99=$(v "h2_${streams}_p99_ms")
  target="—"
  verdict="—"
  if [[ $streams == 64 ]]; then
    target="≥ 20,000 req/s, p99 ≤ 10 ms"
    if num "$RPS" && num "$P99"; then
      verdict=$(awk -v r="$RPS" -v p="$P99" 'BEGIN { print (r >= 20000 && p <= 10 ? "**yes**" : "no") }')
    else
      verdict="no (n/a)"
    fi
  fi
  row "GetKpis under h2load, $streams concurrent stream(s)" "$target" \
    "$(fmt_int "$RPS") req/s, p50 $(fmt_ms "$(v "h2_${streams}_p50_ms")"), p99 $(fmt_ms "$P99") ($(fmt_int "$(v "h2_${streams}_ok")") OK)" \
    "—" "—" "—" "—" "$verdict"
done

compiler=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null | head -1)
build_type=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD_DIR/CMakeCache.txt" 2>/dev/null | head -1)
{
  echo "# Benchmark: $(fmt_int "$LINES") order lines, $(fmt_int "$CUSTOMERS") customers"
  echo
  echo "$(date -u '+%F %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), \`make bench\`$( [[ $LINES != 1000000 ]] && echo " with BENCH_LINES=$LINES")."
  echo
  echo "| measure | target | ours | sqlite3 | DuckDB | sqlite3 / ours | DuckDB / ours | met |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Ratios: for times, the peer's time over ours (above 1×: we are faster); for ingest, our"
  echo "rate over the peer's load rate. Our figures go through gRPC from a separate process; the"
  echo "peers run the equivalent SQL in-process (bench/peers/), with no network and no encoding."
  echo "Each of our latency figures is $(v latency_repeat) calls after 3 warm-up calls, one at a time;"
  echo "the peers run each query $(v peer_repeat) times after one warm-up. The p50 of repeated calls is"
  echo "what a dashboard sees; the row \"right after a write\" shows the cost with nothing cached."
  echo "The \"cold\" rows are $(v cold_repeat) calls each, every one with a filter no earlier call asked"
  echo "(repetition i: region i mod 4 with a range ending 7*i days earlier, or a region with a"
  echo "segment or a category), no warm-up; DuckDB runs the same SQL with the same filters."
  echo
  echo "## Machine"
  echo
  echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
  echo "- RAM: $(free -g | awk '/^Mem:/ { print $2 }') GiB"
  echo "- Kernel: $(uname -sr)"
  echo "- Compiler: $("${compiler:-c++}" --version 2>/dev/null | head -1)"
  echo "- Build type: ${build_type:-?}; server --memory-budget-mb: $(v memory_budget_mb) (default 1024: above it the SQL engine answers)"
  echo "- Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine makes every figure noisier; compare ratios within one run)"
  echo "- sqlite3 $(sqlite3 --version | cut -d' ' -f1), DuckDB $(node -e "import('@duckdb/node-api').then(d => console.log(d.default.version()))" 2>/dev/null || (cd "$ROOT/bench/peers" && node -e "import('@duckdb/node-api').then(d => console.log(d.default.version()))" 2>/dev/null) || echo n/a), h2load $(h2load --version 2>/dev/null | sed -n 's/.*nghttp2\/\([0-9.]*\).*/\1/p' | head -1)"
  echo
  echo "## Raw results"
  echo
  echo '```'
  cat "$RESULTS"
  echo '```'
} >"$OUT"
[[ $LINES == 1000000 ]] && cp "$OUT" "$ROOT/bench/results/latest.md"
cat "$OUT"
echo
echo "written to ${OUT#"$ROOT"/}"
