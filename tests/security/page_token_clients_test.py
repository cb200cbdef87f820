#!/usr/bin/python3
"""Page tokens are portable between clients (issue 12): a token printed by
analytics-cli (C++; it sends empty filter and rfm messages) works in a Python
grpcio client that sends the same query spelled its own way (no sub-messages,
order_by in capitals) and in buf curl (JSON through server reflection, no
order_by at all), and tokens from those two work in the CLI.
Before the fingerprint was taken over the normalized query, each refused the
other's token ("page_token: does not belong to this request").

Usage: page_token_clients_test.py SERVER_BINARY CLI_BINARY DESCRIPTOR_SET TOOLS_DIR
(TOOLS_DIR: where npm installs @bufbuild/buf, as the reflection test does)
"""
import json
import os
import subprocess
import sys

import grpc

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from descriptor_messages import load_messages  # noqa: E402


def main():
    server_binary, cli_binary, descriptor_set, tools_dir = sys.argv[1:5]
    buf_binary = os.path.join(tools_dir, "node_modules", ".bin", "buf")
    if not os.access(buf_binary, os.X_OK):
        os.makedirs(tools_dir, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", tools_dir, "--no-audit", "--no-fund",
                        "--loglevel=error", "@bufbuild/buf@1"], check=True, stdout=sys.stderr)
    message, pool = load_messages(descriptor_set)
    ListCustomersRequest = message("ListCustomersRequest")
    ListCustomersResponse = message("ListCustomersResponse")
    gold = pool.FindEnumTypeByName("customer_analytics.v1.Tier").values_by_name["TIER_GOLD"].number

    server = subprocess.Popen(
        [server_binary, "--listen", "127.0.0.1:0", "--db", ":memory:", "--metrics-listen", "",
         "--seed-demo-if-empty"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        first = server.stdout.readline().strip()
        assert first.startswith("listening on "), first
        address = first[len("listening on "):]
        channel = grpc.insecure_channel(address)
        list_customers = channel.unary_unary(
            "/customer_analytics.v1.AnalyticsService/ListCustomers",
            request_serializer=ListCustomersRequest.SerializeToString,
            response_deserializer=ListCustomersResponse.FromString)

        def cli(*args):
            done = subprocess.run([cli_binary, "customers", "--server", address, "--json", *args],
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            return json.loads(done.stdout)

        def python(page_size, token=""):
            return list_customers(ListCustomersRequest(
                tier=gold, order_by="MONETARY DESC", page_size=page_size, page_token=token),
                timeout=30)

        def buf(page_size, token=""):
            body = {"tier": "TIER_GOLD", "pageSize": page_size}
            if token:
                body["pageToken"] = token
            done = subprocess.run(
                [buf_binary, "curl", "--protocol", "grpc", "--http2-prior-knowledge", "-d",
                 json.dumps(body),
                 f"http://{address}/customer_analytics.v1.AnalyticsService/ListCustomers"],
                capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, f"buf curl: {done.stdout} {done.stderr}"
            return json.loads(done.stdout)

        everyone = [c["customerId"] for c in cli("--tier", "gold", "--limit", "20")["customers"]]
        assert len(everyone) > 7, everyone

        # CLI -> Python
        page = cli("--tier", "gold", "--limit", "5")
        token = page["nextPageToken"]
        try:
            continued = python(3, token)
        except grpc.RpcError as error:
            raise AssertionError(f"Python refused the CLI's token: {error.code()} "
                                 f"{error.details()}") from None
        got = [c.customer_id for c in continued.customers]
        assert got == everyone[5:8], (got, everyone)

        # Python -> CLI
        token = python(2).next_page_token
        assert token
        continued = cli("--tier", "gold", "--limit", "4", "--page-token", token)
        got = [c["customerId"] for c in continued["customers"]]
        assert got == everyone[2:6], (got, everyone)

        # CLI -> buf curl
        token = cli("--tier", "gold", "--limit", "3")["nextPageToken"]
        got = [c["customerId"] for c in buf(4, token)["customers"]]
        assert got == everyone[3:7], ("buf curl with the CLI's token", got, everyone)

        # buf curl -> CLI
        token = buf(6)["nextPageToken"]
        assert token
        got = [c["customerId"] for c in cli("--tier", "gold", "--limit", "2", "--page-token",
                                            token)["customers"]]
        assert got == everyone[6:8], ("the CLI with buf curl's token", got, everyone)

        # Another query is still refused.
        try:
            list_customers(ListCustomersRequest(tier=gold, order_by="frequency desc",
                                                page_size=2, page_token=token), timeout=30)
            raise AssertionError("a token was accepted for another order")
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
            assert error.details().startswith("page_token: "), error.details()
        print("page tokens: CLI -> Python, Python -> CLI, CLI -> buf curl, buf curl -> CLI")
        return 0
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    sys.exit(main())
