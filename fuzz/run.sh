#!/usr/bin/env bash
# Runs every fuzz target for a bounded time from its committed seed corpus.
# New inputs go to a scratch corpus in the build directory (the committed one
# stays as it is); a crash leaves its input in BUILD/fuzz/artifacts/ and fails
# the run. Usage: fuzz/run.sh BUILD_DIR SECONDS_PER_TARGET
set -euo pipefail
build=$1 seconds=$2
here=$(cd "$(dirname "$0")" && pwd)
targets=(csv_reader csv_import date_parser money page_token request_validation ingest_decoder)
mkdir -p "$build/fuzz/artifacts"
failed=()
for t in "${targets[@]}"; do
  scratch="$build/fuzz/corpus/$t"
  mkdir -p "$scratch"
  echo "== fuzz_$t for ${seconds}s"
  # -rss_limit_mb: the import spools to TMPDIR, memory stays small; anything
  # near the limit is a leak or a blow-up worth reporting.
  if ! "$build/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -print_final_stats=1 -artifact_prefix="$build/fuzz/artifacts/$t-" \
    "$scratch" "$here/corpus/$t" 2>"$build/fuzz/$t.log"; then
    failed+=("$t")
    tail -n 60 "$build/fuzz/$t.log" >&2
  else
    grep -E "^stat::number_of_executed_units|^stat::new_units_added" "$build/fuzz/$t.log" || true
  fi
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzzing found problems in: ${failed[*]} (inputs in $build/fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzzing: no crash, leak or undefined behaviour in ${#targets[@]} targets"
