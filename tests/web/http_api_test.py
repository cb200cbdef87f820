#!/usr/bin/env python3
"""The HTTP/JSON API (service/http) of a real analytics-server with a plain
HTTP client (urllib / http.client): every endpoint answers what the same
call over gRPC answers, errors carry the HTTP status of their gRPC code and
google.rpc details, tokens and roles hold, a CSV upload streams (chunked
transfer encoding) and a large one leaves the server's memory flat, and a
body cut short writes nothing.

Usage: http_api_test.py SERVER_BINARY DESCRIPTOR_SET SUPERSTORE_CSV
"""
import http.client
import json
import os
import sys
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import grpc
from google.protobuf import json_format

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from descriptor_messages import load_messages  # noqa: E402
from server_process import ServerProcess  # noqa: E402

SERVER, DESCRIPTORS, SUPERSTORE = sys.argv[1:4]
SERVICE = "/customer_analytics.v1.AnalyticsService/"
message, _ = load_messages(DESCRIPTORS)
READER = "reader-token-0123456789"
WRITER = "writer-token-0123456789"


class HttpServer(ServerProcess):
    """The server with its HTTP listener; .base is "http://127.0.0.1:PORT"."""

    def __init__(self, *args, **kwargs):
        super().__init__(SERVER, "--http-listen", "127.0.0.1:0", *args, **kwargs)
        line = self._process.stdout.readline().strip()
        if "://" not in line:
            self.stop()
            raise RuntimeError(f"no HTTP address line: {line!r}")
        self.base = line[line.index("http"):].rstrip("/")
        self.http_port = int(self.base.rsplit(":", 1)[1])

    def stop(self):
        super().stop()
        self._process.stdout.close()

    def rss_kib(self):
        with open(f"/proc/{self._process.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")


def call(base, method, path, params=None, body=None, token=None, content_type=None):
    """(status, parsed JSON body, headers)."""
    url = base + path + ("?" + urllib.parse.urlencode(params, doseq=True) if params else "")
    request = urllib.request.Request(url, method=method, data=body)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    if content_type:
        request.add_header("Content-Type", content_type)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read()), response.headers
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers


def grpc_json(address, method, request_name, fields, token=None):
    """The same call over gRPC, as the JSON the HTTP API should print."""
    request = json_format.ParseDict(fields, message(request_name)())
    response_type = message(request_name.replace("Request", "Response"))
    with grpc.insecure_channel(address) as channel:
        stub = channel.unary_unary(SERVICE + method, request_serializer=lambda m: m.SerializeToString(),
                                   response_deserializer=response_type.FromString)
        metadata = [("authorization", "Bearer " + token)] if token else None
        reply = stub(request, timeout=30, metadata=metadata)
    return json.loads(json_format.MessageToJson(reply, including_default_value_fields=True))


def chunked_post(server, path, chunks, params=None, headers=None):
    """POST with Transfer-Encoding: chunked from an iterator; (status, JSON)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=300)
    url = path + ("?" + urllib.parse.urlencode(params) if params else "")
    connection.request("POST", url, body=chunks, encode_chunked=True,
                       headers={"Content-Type": "text/csv", **(headers or {})})
    response = connection.getresponse()
    status, body = response.status, json.loads(response.read())
    connection.close()
    return status, body


def csv_lines(count, start=0):
    yield b"Row ID,Order ID,Order Date,Customer ID,Customer Name,Region,Category,Segment,Product ID,Sales,Quantity,Profit\n"
    for i in range(start, start + count):
        yield (f"{i},O{i // 3},2024-{1 + i % 12:02d}-{1 + i % 28:02d},C{i % 997},Name {i % 997},"
               f"{('West', 'East', 'South', 'Central')[i % 4]},Furniture,Consumer,P{i % 50},"
               f"{10 + i % 90}.25,{1 + i % 5},{i % 7 - 2}.5\n").encode()


class HttpApiTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = HttpServer("--seed-demo-if-empty")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def get(self, path, params=None, **kwargs):
        return call(self.server.base, "GET", path, params, **kwargs)

    def test_reads_answer_what_grpc_answers(self):
        filt = {"filter.regions": ["West", "East"], "filter.start_date": "2000-01-01"}
        grpc_filter = {"regions": ["West", "East"], "startDate": "2000-01-01"}
        cases = [
            ("/v1/kpis", filt, "GetKpis", "GetKpisRequest", {"filter": grpc_filter}),
            ("/v1/breakdown", {**filt, "dimension": "DIMENSION_CATEGORY", "order_by": "MEASURE_REVENUE"},
             "GetBreakdown", "GetBreakdownRequest",
             {"filter": grpc_filter, "dimension": "DIMENSION_CATEGORY", "orderBy": "MEASURE_REVENUE"}),
            ("/v1/salesTrend", {**filt, "granularity": "GRANULARITY_QUARTER"}, "GetSalesTrend",
             "GetSalesTrendRequest", {"filter": grpc_filter, "granularity": "GRANULARITY_QUARTER"}),
            ("/v1/rfmSummary", filt, "GetRfmSummary", "GetRfmSummaryRequest", {"filter": grpc_filter}),
            ("/v1/customers", {**filt, "tier": "TIER_GOLD", "page_size": "5", "order_by": "frequency desc"},
             "ListCustomers", "ListCustomersRequest",
             {"filter": grpc_filter, "tier": "TIER_GOLD", "pageSize": 5, "orderBy": "frequency desc"}),
        ]
        for path, params, method, request_name, fields in cases:
            with self.subTest(path=path):
                status, body, headers = self.get(path, params)
                self.assertEqual(status, 200, body)
                self.assertTrue(headers["Content-Type"].startswith("application/json"))
                expected = grpc_json(self.server.address, method, request_name, fields)
                if method == "ListCustomers":
                    # Page tokens are sealed with a fresh nonce each time.
                    self.assertEqual(bool(body.pop("nextPageToken", "")),
                                     bool(expected.pop("nextPageToken", "")))
                self.assertEqual(body, expected)

    def test_customer_by_path_and_pages_by_token(self):
        status, first, _ = self.get("/v1/customers", {"page_size": "3"})
        self.assertEqual(status, 200)
        self.assertEqual(len(first["customers"]), 3)
        status, second, _ = self.get("/v1/customers", {"page_size": "3", "page_token": first["nextPageToken"]})
        self.assertEqual(status, 200)
        ids = [c["customerId"] for c in first["customers"] + second["customers"]]
        self.assertEqual(len(set(ids)), 6)
        customer_id = ids[4]
        status, body, _ = self.get("/v1/customers/" + urllib.parse.quote(customer_id))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["customer"]["customerId"], customer_id)
        self.assertEqual(body, grpc_json(self.server.address, "GetCustomer", "GetCustomerRequest",
                                         {"customerId": customer_id}))

    def test_errors_carry_status_and_details(self):
        status, body, _ = self.get("/v1/breakdown", {"dimension": "DIMENSION_NOPE"})
        self.assertEqual(status, 400)
        self.assertEqual(body["error"]["status"], "INVALID_ARGUMENT")
        self.assertEqual(body["error"]["code"], 400)
        violations = [d for d in body["error"]["details"] if d["@type"].endswith("google.rpc.BadRequest")]
        self.assertEqual(violations[0]["fieldViolations"][0]["field"], "dimension")

        # Refused by the service itself (not the gateway): the same details.
        status, body, _ = self.get("/v1/breakdown")
        self.assertEqual(status, 400, body)
        info = [d for d in body["error"]["details"] if d["@type"].endswith("google.rpc.ErrorInfo")]
        self.assertEqual(info[0]["domain"], "customer-analytics")
        self.assertEqual(info[0]["metadata"]["method"], "GetBreakdown")

        status, body, _ = self.get("/v1/customers/NO-SUCH-CUSTOMER")
        self.assertEqual((status, body["error"]["status"]), (404, "NOT_FOUND"))
        status, body, _ = self.get("/v1/kpis", {"filter.nope": "x"})
        self.assertEqual((status, body["error"]["status"]), (400, "INVALID_ARGUMENT"))
        self.assertIn("filter.nope", body["error"]["message"])
        status, body, _ = self.get("/v1/customers", {"page_size": "100000"})
        self.assertEqual(status, 400, body)
        status, body, _ = self.get("/v1/nothing")
        self.assertEqual((status, body["error"]["status"]), (404, "NOT_FOUND"))
        status, body, _ = call(self.server.base, "DELETE", "/v1/kpis")
        self.assertEqual(status, 405, body)
        status, body, _ = call(self.server.base, "POST", "/v1/demoData:seed", body=b"{not json",
                               content_type="application/json")
        self.assertEqual((status, body["error"]["status"]), (400, "INVALID_ARGUMENT"))

    def test_page_openapi_and_no_cors_by_default(self):
        with urllib.request.urlopen(self.server.base + "/", timeout=10) as response:
            page = response.read().decode()
            self.assertIn("<title>Customer analytics</title>", page)
            self.assertIn("default-src 'self'", response.headers["Content-Security-Policy"])
        with urllib.request.urlopen(self.server.base + "/vendor/uPlot.iife.min.js", timeout=10) as response:
            self.assertGreater(len(response.read()), 40_000)
            plain_tag = response.headers["ETag"]
        # A browser holding the file revalidates with its tag: 304, no body;
        # the gzipped copy has a tag of its own; another tag gets the file.
        connection = http.client.HTTPConnection("127.0.0.1", self.server.http_port, timeout=10)
        for encoding, tag, expected in (("gzip", None, 200), ("gzip", "from-200", 304),
                                        ("identity", plain_tag, 304), ("identity", '"other"', 200)):
            headers = {"Accept-Encoding": encoding}
            if tag:
                headers["If-None-Match"] = gzip_tag if tag == "from-200" else tag
            connection.request("GET", "/vendor/uPlot.iife.min.js", headers=headers)
            response = connection.getresponse()
            body = response.read()
            self.assertEqual(response.status, expected, (encoding, tag))
            if expected == 304:
                self.assertEqual(body, b"")
            elif encoding == "gzip":
                gzip_tag = response.headers["ETag"]
                self.assertNotEqual(gzip_tag, plain_tag)
        connection.close()
        status, doc, _ = self.get("/v1/openapi.json")
        self.assertEqual(status, 200)
        self.assertEqual(doc["openapi"], "3.0.3")
        self.assertIn("get", doc["paths"]["/v1/kpis"])
        self.assertIn("post", doc["paths"]["/v1/customers:import"])
        names = {p["name"] for p in doc["paths"]["/v1/kpis"]["get"]["parameters"]}
        self.assertIn("filter.regions", names)
        request = urllib.request.Request(self.server.base + "/v1/kpis", headers={"Origin": "https://elsewhere.example"})
        with urllib.request.urlopen(request, timeout=10) as response:
            self.assertIsNone(response.headers["Access-Control-Allow-Origin"])


class HttpWriteTest(unittest.TestCase):
    def test_csv_upload_streams_and_imports_superstore(self):
        with HttpServer() as server:
            def chunks():
                with open(SUPERSTORE, "rb") as f:
                    while block := f.read(4096):
                        yield block
            status, body = chunked_post(server, "/v1/customers:import", chunks())
            self.assertEqual(status, 200, body)
            self.assertTrue(body["committed"])
            self.assertEqual(int(body["accepted"]), 305)
            self.assertEqual(int(body["rejected"]), 0)
            status, kpis, _ = call(server.base, "GET", "/v1/kpis")
            self.assertEqual(int(kpis["current"]["revenueMicros"]), 78078987200)
            self.assertEqual(int(kpis["current"]["profitMicros"]), -445056800)
            self.assertEqual(server.wait_for_log(r"method=ImportCsv peer=ipv4:127\.0\.0\.1:\d+ code=OK")
                             is not None, True)

    def test_options_dry_run_rejects_and_ndjson_ingest(self):
        with HttpServer() as server:
            bad = b"Order ID,Order Date,Customer ID,Sales\nO1,2024-01-02,C1,10\nO2,not a date,C2,5\n"
            status, body = chunked_post(server, "/v1/customers:import", iter([bad]),
                                        params={"options.skip_invalid": "true", "options.dry_run": "true"})
            self.assertEqual(status, 200, body)
            self.assertEqual((int(body["accepted"]), int(body["rejected"]), body["committed"]), (1, 1, False))
            self.assertEqual(int(body["rejectedLines"][0]["lineNumber"]), 3)
            # All or nothing without skip_invalid: nothing committed.
            status, body = chunked_post(server, "/v1/customers:import", iter([bad]))
            self.assertEqual(status, 200, body)
            self.assertFalse(body["committed"])

            lines = [{"orderId": f"O{i}", "orderDate": "2024-03-01", "customerId": "C1", "sales": 2.5,
                      "region": "West"} for i in range(3)]
            ndjson = "\n".join(json.dumps({"lines": [line]}) for line in lines).encode()
            status, body, _ = call(server.base, "POST", "/v1/orderLines:ingest", body=ndjson,
                                   content_type="application/x-ndjson")
            self.assertEqual(status, 200, body)
            self.assertEqual(int(body["accepted"]), 3)
            status, kpis, _ = call(server.base, "GET", "/v1/kpis", {"filter.regions": "West"})
            self.assertEqual(int(kpis["current"]["revenueMicros"]), 7_500_000)

    def test_a_body_cut_short_writes_nothing(self):
        with HttpServer() as server:
            import socket
            sock = socket.create_connection(("127.0.0.1", server.http_port))
            sock.sendall(b"POST /v1/customers:import HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
                         b"Content-Length: 100000\r\n\r\n" + b"".join(csv_lines(50)))
            sock.close()
            server.wait_for_log(r"method=ImportCsv .*code=CANCELLED")
            status, kpis, _ = call(server.base, "GET", "/v1/kpis")
            self.assertEqual(int(kpis["current"]["orders"]), 0)

    def test_tokens_and_roles(self):
        env = {"ANALYTICS_AUTH_TOKENS": f"reader {READER},writer {WRITER}"}
        with HttpServer(env=env) as server:
            status, body, _ = call(server.base, "GET", "/v1/kpis")
            self.assertEqual((status, body["error"]["status"]), (401, "UNAUTHENTICATED"))
            status, body, _ = call(server.base, "GET", "/v1/kpis", token="wrong-token-0123456789")
            self.assertEqual(status, 401)
            status, body, _ = call(server.base, "GET", "/v1/kpis", token=READER)
            self.assertEqual(status, 200, body)
            seed = json.dumps({"lineCount": 50, "customerCount": 10}).encode()
            status, body, _ = call(server.base, "POST", "/v1/demoData:seed", body=seed, token=READER,
                                   content_type="application/json")
            self.assertEqual((status, body["error"]["status"]), (403, "PERMISSION_DENIED"))
            status, body = chunked_post(server, "/v1/customers:import", csv_lines(10),
                                        headers={"Authorization": "Bearer " + READER})
            self.assertEqual(status, 403, body)
            status, body, _ = call(server.base, "POST", "/v1/demoData:seed", body=seed, token=WRITER,
                                   content_type="application/json")
            self.assertEqual(status, 200, body)
            self.assertEqual(int(body["linesGenerated"]), 50)
            # The page itself needs no token; its API calls do.
            with urllib.request.urlopen(server.base + "/", timeout=10) as response:
                self.assertEqual(response.status, 200)

    def test_forwarded_peer_is_believed_only_from_the_gateway(self):
        # Without tokens, writes come from loopback only. A gRPC client that
        # sends the gateway's metadata with a made-up token is still judged
        # by its own address (loopback here: accepted), and one claiming a
        # remote peer is not turned away either: the claim is ignored.
        with HttpServer() as server:
            request = message("SeedDemoDataRequest")(line_count=10, customer_count=5)
            with grpc.insecure_channel(server.address) as channel:
                stub = channel.unary_unary(SERVICE + "SeedDemoData",
                                           request_serializer=lambda m: m.SerializeToString(),
                                           response_deserializer=message("SeedDemoDataResponse").FromString)
                reply = stub(request, timeout=30, metadata=[
                    ("x-analytics-forwarded-peer", "ipv4:203.0.113.9:4444"),
                    ("x-analytics-gateway-token", "0" * 64)])
            self.assertEqual(reply.lines_generated, 10)
            line = server.wait_for_log(r"method=SeedDemoData")
            self.assertNotIn("203.0.113.9", line)

    def test_cors_when_configured(self):
        with HttpServer("--http-cors-origins", "https://app.example") as server:
            request = urllib.request.Request(server.base + "/v1/kpis", method="OPTIONS",
                                             headers={"Origin": "https://app.example",
                                                      "Access-Control-Request-Method": "GET"})
            with urllib.request.urlopen(request, timeout=10) as response:
                self.assertEqual(response.status, 204)
                self.assertEqual(response.headers["Access-Control-Allow-Origin"], "https://app.example")
                self.assertIn("Authorization", response.headers["Access-Control-Allow-Headers"])
            request = urllib.request.Request(server.base + "/v1/kpis", headers={"Origin": "https://other.example"})
            with urllib.request.urlopen(request, timeout=10) as response:
                self.assertIsNone(response.headers["Access-Control-Allow-Origin"])

    def test_https_with_the_grpc_certificate(self):
        # With --tls-cert/--tls-key the HTTP listener speaks HTTPS only: a
        # token never crosses the network in clear text on either port.
        import ssl
        import subprocess
        import tempfile
        with tempfile.TemporaryDirectory() as work:
            cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                            "-keyout", key, "-out", cert], check=True, capture_output=True)
            with HttpServer("--tls-cert", cert, "--tls-key", key, "--seed-demo-if-empty") as server:
                self.assertTrue(server.base.startswith("https://"), server.base)
                context = ssl.create_default_context(cafile=cert)
                with urllib.request.urlopen(server.base + "/v1/kpis", context=context, timeout=10) as response:
                    self.assertEqual(response.status, 200)
                    self.assertGreater(int(json.loads(response.read())["current"]["orders"]), 0)
                plain = server.base.replace("https://", "http://") + "/v1/kpis"
                with self.assertRaises((urllib.error.URLError, ConnectionError, http.client.HTTPException)):
                    urllib.request.urlopen(plain, timeout=10).read()

    @unittest.skipIf(os.environ.get("HTTP_API_SANITIZED"), "resident memory under ASan says nothing")
    def test_large_upload_keeps_memory_flat(self):
        # A dry run of ~170 MiB of CSV (2.2 million lines), streamed in
        # 64 KiB pieces, against the same file sent over gRPC in 1 MiB
        # messages to a server of its own. The import itself keeps a little
        # per line (line keys, the spool's index), the same either way; the
        # HTTP path must add nothing that grows with the body: buffering the
        # body, or the stream, would add its whole size.
        lines = 2_200_000
        body_bytes = sum(len(line) for line in csv_lines(lines))

        def peak_growth(server, send):
            baseline = server.rss_kib()
            peak = [baseline]
            done = threading.Event()

            def sample():
                while not done.is_set():
                    peak[0] = max(peak[0], server.rss_kib())
                    done.wait(0.05)
            sampler = threading.Thread(target=sample)
            sampler.start()
            started = time.monotonic()
            try:
                reply = send()
            finally:
                done.set()
                sampler.join()
            return reply, (peak[0] - baseline) / 1024, time.monotonic() - started

        def pieces(size):
            block, n = [], 0
            for line in csv_lines(lines):
                block.append(line)
                n += len(line)
                if n >= size:
                    yield b"".join(block)
                    block, n = [], 0
            yield b"".join(block)

        def over_grpc(server):
            request, options = message("ImportCsvRequest"), message("ImportCsvOptions")

            def stream():
                yield request(options=options(dry_run=True))
                *chunks, final = list(pieces(1 << 20))
                for chunk in chunks:
                    yield request(chunk=chunk)
                yield request(chunk=final, last=True)
            with grpc.insecure_channel(server.address) as channel:
                call = channel.stream_unary(SERVICE + "ImportCsv",
                                            request_serializer=lambda m: m.SerializeToString(),
                                            response_deserializer=message("ImportCsvResponse").FromString)
                return call(stream(), timeout=300)

        with HttpServer() as server:
            grpc_reply, grpc_growth, _ = peak_growth(server, lambda: over_grpc(server))
        with HttpServer() as server:
            (status, reply), http_growth, seconds = peak_growth(
                server, lambda: chunked_post(server, "/v1/customers:import", pieces(65536),
                                             params={"options.dry_run": "true"}))
        self.assertEqual(status, 200, reply)
        self.assertEqual(int(reply["linesRead"]), lines)
        self.assertEqual(grpc_reply.lines_read, lines)
        body_mib = body_bytes / (1 << 20)
        print(f"large upload: {body_mib:.0f} MiB body, {lines} lines, over HTTP in {seconds:.1f} s "
              f"({body_mib / seconds:.0f} MiB/s); server RSS peak growth {http_growth:.0f} MiB over HTTP, "
              f"{grpc_growth:.0f} MiB over gRPC", file=sys.stderr)
        self.assertGreater(body_mib, 150)
        self.assertLess(http_growth, grpc_growth + 48,
                        "the HTTP upload grew the server's memory more than the same gRPC import")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
