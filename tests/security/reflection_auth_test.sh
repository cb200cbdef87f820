#!/usr/bin/env bash
# Issue 6's check with an outside tool: against a server with tokens, a
# reflection client (buf curl, which knows no .proto file) still lists the
# service and reaches health without a token, gets UNAUTHENTICATED on GetKpis,
# succeeds with a reader token, and a reader gets PERMISSION_DENIED on
# ImportCsv.
# Usage: reflection_auth_test.sh SERVER_BINARY TOOLS_DIR
set -euo pipefail
server_bin=$1 tools_dir=$2-security

buf="$tools_dir/node_modules/.bin/buf"
if [[ ! -x $buf ]]; then
  mkdir -p "$tools_dir"
  npm install --prefix "$tools_dir" --no-audit --no-fund --loglevel=error @bufbuild/buf@1 >&2
fi

work=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" || true
  rm -rf "$work"
}
trap cleanup EXIT

reader=reader-5b2e9f0c1d7a4863
writer=writer-e0a4c7d91b3f5286
printf 'reader %s\nwriter %s\n' "$reader" "$writer" >"$work/tokens"
mkfifo "$work/out"
"$server_bin" --listen 127.0.0.1:0 --db :memory: --metrics-listen "" \
  --auth-tokens-file "$work/tokens" >"$work/out" 2>"$work/log" &
server_pid=$!
exec 3<"$work/out"
read -r first_line <&3
url="http://${first_line#listening on }"
svc="$url/customer_analytics.v1.AnalyticsService"
curl_grpc() { "$buf" curl --protocol grpc --http2-prior-knowledge "$@"; }
expect() { # expect PATTERN OUTPUT
  grep -q -- "$1" <<<"$2" || { echo "expected /$1/ in: $2" >&2; exit 1; }
}

# Reflection and health stay open.
expect "customer_analytics.v1.AnalyticsService/GetKpis" "$(curl_grpc --list-methods "$url")"
expect '"status": "SERVING"' "$(curl_grpc -d '{}' "$url/grpc.health.v1.Health/Check")"

# No token: UNAUTHENTICATED (buf curl exits non-zero and prints the code).
out=$(curl_grpc -d '{}' "$svc/GetKpis" 2>&1) && { echo "GetKpis without a token succeeded" >&2; exit 1; }
expect 'unauthenticated' "$out"
out=$(curl_grpc -H "Authorization: Bearer wrong-token-000000000" -d '{}' "$svc/GetKpis" 2>&1) &&
  { echo "GetKpis with a wrong token succeeded" >&2; exit 1; }
expect 'unauthenticated' "$out"

# A reader reads, but may not import.
expect '"current"' "$(curl_grpc -H "Authorization: Bearer $reader" -d '{}' "$svc/GetKpis")"
out=$(curl_grpc -H "Authorization: Bearer $reader" \
  -d '{"chunk":"T3JkZXIgSUQsT3JkZXIgRGF0ZSxDdXN0b21lciBJRCxTYWxlcwpZLDIwMjQtMDYtMzAsQ1ksNQo=","last":true}' \
  "$svc/ImportCsv" 2>&1) && { echo "a reader imported" >&2; exit 1; }
expect 'permission_denied' "$out"
expect '"committed": true' "$(curl_grpc -H "Authorization: Bearer $writer" \
  -d '{"chunk":"T3JkZXIgSUQsT3JkZXIgRGF0ZSxDdXN0b21lciBJRCxTYWxlcwpZLDIwMjQtMDYtMzAsQ1ksNQo=","last":true}' \
  "$svc/ImportCsv")"

# The tokens never reach the log.
if grep -q -e "$reader" -e "$writer" "$work/log"; then
  echo "a token appears in the server log" >&2
  exit 1
fi
echo "reflection with auth: ok"
