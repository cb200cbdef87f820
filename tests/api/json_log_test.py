#!/usr/bin/python3
"""--log-format json: every stderr line is one JSON object with time, level and
message, and the access-log line of an RPC carries method, peer, code and
duration_ms as fields — what a cluster log collector needs. Also: the
/metrics counters move when RPCs are called.

Usage: json_log_test.py SERVER_BINARY
"""
import json
import re
import subprocess
import sys
import urllib.request

import grpc


def main():
    server = subprocess.Popen(
        [sys.argv[1], "--listen", "127.0.0.1:0", "--db", ":memory:",
         "--metrics-listen", "127.0.0.1:0", "--log-format", "json", "--seed-demo-if-empty"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = server.stdout.readline().strip()
    assert first.startswith("listening on "), first
    # The metrics endpoint logs its port before the gRPC server announces itself.
    early_lines = []
    metrics_port = None
    while metrics_port is None:
        line = server.stderr.readline()
        assert line, "server exited before logging its metrics port"
        early_lines.append(line.rstrip("\n"))
        match = re.search(r"metrics on port (\d+)", json.loads(line)["message"])
        metrics_port = match and int(match.group(1))

    def get_kpis_ok_count():
        text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).read()
        match = re.search(rb'analytics_rpc_requests_total\{[^}]*method="GetKpis"[^}]*code="OK"[^}]*\} (\d+)|'
                          rb'analytics_rpc_requests_total\{[^}]*code="OK"[^}]*method="GetKpis"[^}]*\} (\d+)',
                          text)
        assert b"analytics_order_lines 1500" in text, text
        return int((match.group(1) or match.group(2)) if match else 0)

    before = get_kpis_ok_count()
    channel = grpc.insecure_channel(first[len("listening on "):])
    # Empty request messages are zero bytes on the wire: no generated code needed.
    identity = lambda b: b
    get_kpis = channel.unary_unary("/customer_analytics.v1.AnalyticsService/GetKpis",
                                   request_serializer=identity, response_deserializer=identity)
    get_customer = channel.unary_unary("/customer_analytics.v1.AnalyticsService/GetCustomer",
                                       request_serializer=identity,
                                       response_deserializer=identity)
    get_kpis(b"", timeout=10)
    try:
        get_customer(b"", timeout=10)  # no customer_id: INVALID_ARGUMENT
        raise AssertionError("GetCustomer without an id should fail")
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
    after = get_kpis_ok_count()
    assert after == before + 1, (before, after)
    channel.close()
    server.terminate()
    _, err = server.communicate(timeout=30)
    assert server.returncode == 0, server.returncode

    records = []
    for line in early_lines + err.splitlines():
        record = json.loads(line)  # raises on anything that is not one JSON object
        assert isinstance(record, dict), line
        for field in ("time", "level", "message"):
            assert field in record, (field, line)
        records.append(record)
    rpcs = {r["method"]: r for r in records if "method" in r}
    assert rpcs["GetKpis"]["code"] == "OK", rpcs
    assert rpcs["GetCustomer"]["code"] == "INVALID_ARGUMENT", rpcs
    assert rpcs["GetCustomer"]["level"] == "warning", rpcs
    assert "customer_id" in rpcs["GetCustomer"]["error"], rpcs
    float(rpcs["GetKpis"]["duration_ms"])
    assert rpcs["GetKpis"]["peer"].startswith("ipv4:127.0.0.1:"), rpcs
    print(f"OK: {len(records)} JSON log lines, RPC fields present; GetKpis OK count {before} -> {after}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
