#!/usr/bin/env bash
# The API as outside tools see it: `buf lint` (STANDARD rules) on proto/, then
# a reflection client (buf curl) that knows no .proto file lists the service,
# calls every RPC, and reaches the health service.
# Usage: reflection_test.sh SERVER_BINARY PROTO_DIR TOOLS_DIR
set -euo pipefail
server_bin=$1 proto_dir=$2 tools_dir=$3

buf="$tools_dir/node_modules/.bin/buf"
if [[ ! -x $buf ]]; then
  mkdir -p "$tools_dir"
  npm install --prefix "$tools_dir" --no-audit --no-fund --loglevel=error @bufbuild/buf@1 >&2
fi

# analytics_service.proto imports the vendored google/api annotations, which
# buf cannot resolve from proto/ alone (no BSR here): lint a protoc image of
# proto/ plus third_party/googleapis, restricted to the project's own files,
# with proto/buf.yaml's rules.
image=$(mktemp --suffix=.binpb)
(cd "$proto_dir" && protoc --include_imports --include_source_info -I . \
  -I ../third_party/googleapis -o "$image" customer_analytics/v1/*.proto)
"$buf" lint "$image" --config "$proto_dir/buf.yaml" --path customer_analytics
rm -f "$image"
echo "buf lint: clean"

work=$(mktemp -d)
server_pid=""
cleanup() {
  [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" || true
  rm -rf "$work"
}
trap cleanup EXIT

# The server's first stdout line names its address; read it from a FIFO so
# there is no polling.
mkfifo "$work/out"
"$server_bin" --listen 127.0.0.1:0 --db :memory: --metrics-listen "" >"$work/out" 2>"$work/log" &
server_pid=$!
exec 3<"$work/out"
read -r first_line <&3
addr=${first_line#listening on }
url="http://$addr"
curl_grpc() { "$buf" curl --protocol grpc --http2-prior-knowledge "$@"; }

methods=$(curl_grpc --list-methods "$url")
echo "$methods"
for rpc in SeedDemoData IngestTransactions ImportCsv GetKpis GetBreakdown GetSalesTrend \
  GetRfmSummary ListCustomers GetCustomer; do
  grep -qx "customer_analytics.v1.AnalyticsService/$rpc" <<<"$methods" ||
    { echo "missing RPC $rpc in reflection" >&2; exit 1; }
done

svc="$url/customer_analytics.v1.AnalyticsService"
expect() { # expect PATTERN OUTPUT
  grep -q -- "$1" <<<"$2" || { echo "expected /$1/ in: $2" >&2; exit 1; }
}
expect '"totalLines": "1500"' "$(curl_grpc -d '{"seed":"1","endDate":"2024-06-30"}' "$svc/SeedDemoData")"
expect '"accepted": "1"' "$(curl_grpc -d '{"lines":[{"lineId":"x1","orderId":"X","orderDate":"2024-06-30","customerId":"CX","sales":10}],"last":true}' "$svc/IngestTransactions")"
expect '"committed": true' "$(curl_grpc -d '{"chunk":"T3JkZXIgSUQsT3JkZXIgRGF0ZSxDdXN0b21lciBJRCxTYWxlcwpZLDIwMjQtMDYtMzAsQ1ksNQo=","last":true}' "$svc/ImportCsv")"
expect '"customers": "102"' "$(curl_grpc -d '{}' "$svc/GetKpis")"
expect '"key": "North"' "$(curl_grpc -d '{"dimension":"DIMENSION_REGION"}' "$svc/GetBreakdown")"
expect '"label": "2024-06"' "$(curl_grpc -d '{"granularity":"GRANULARITY_MONTH"}' "$svc/GetSalesTrend")"
expect '"displayName": "Gold"' "$(curl_grpc -d '{}' "$svc/GetRfmSummary")"
expect '"tier": "TIER_GOLD"' "$(curl_grpc -d '{"tier":"TIER_GOLD","pageSize":5}' "$svc/ListCustomers")"
expect '"customerId": "CX"' "$(curl_grpc -d '{"customerId":"CX"}' "$svc/GetCustomer")"
expect '"status": "SERVING"' "$(curl_grpc -d '{}' "$url/grpc.health.v1.Health/Check")"

# An error reaches the reflection client as a gRPC status.
if out=$(curl_grpc -d '{"customerId":"nobody"}' "$svc/GetCustomer" 2>&1); then
  echo "GetCustomer(nobody) should fail" >&2; exit 1
fi
expect 'not_found' "$out"
echo "reflection: every RPC called"
