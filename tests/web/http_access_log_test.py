#!/usr/bin/env python3
"""The HTTP listener's access log (service/http/gateway.cc): a real
analytics-server with --http-listen writes exactly one "http" line per HTTP
request, with method, path, peer (the client's own address and port),
status and duration, in the text and the JSON log formats, for answered
calls and for the refusals the HTTP layer makes itself (no route 404,
405, a body that is not JSON 400, an oversized body 413, an upload refused
before its body was read), and a crafted path cannot split the line. A
refused body is not parsed as further requests (no line without a peer).

Usage: http_access_log_test.py SERVER_BINARY
"""
import http.client
import json
import os
import re
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from server_process import ServerProcess  # noqa: E402

SERVER = sys.argv[1]
MAX_JSON_BYTES = 16 << 20  # GatewayOptions::max_json_bytes


class HttpServer(ServerProcess):
    def __init__(self, *args):
        super().__init__(SERVER, "--http-listen", "127.0.0.1:0", *args)
        line = self._process.stdout.readline().strip()
        if "://" not in line:
            self.stop()
            raise RuntimeError(f"no HTTP address line: {line!r}")
        self.http_port = int(line.rstrip("/").rsplit(":", 1)[1])


def request(server, method, path, body=None, headers=None):
    """(status, the client's local port) for one request on a new connection."""
    connection = http.client.HTTPConnection("127.0.0.1", server.http_port, timeout=60)
    connection.connect()
    port = connection.sock.getsockname()[1]
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response.status, port


CSV = b"Row ID,Order ID\n" + b"1,O1\n" * 400000  # 2 MiB

# (method, path, body, expected status, what it shows); the log has the
# path without the query.
CASES = [
    ("GET", "/v1/kpis", None, 200, "an API call"),
    ("GET", "/", None, 200, "the page"),
    ("GET", "/v1/noSuchRoute", None, 404, "no route"),
    ("DELETE", "/v1/kpis", None, 405, "a path under another method"),
    ("POST", "/v1/demoData:seed", b"{not json", 400, "a body that is not JSON"),
    ("POST", "/v1/demoData:seed", b" " * (MAX_JSON_BYTES + 1), 413, "an oversized body"),
    ("POST", "/v1/customers:import?options.no_such_option=1", CSV, 400,
     "an upload refused before its body was read"),
    ("GET", "/v1/x%0Aforged%20line%22", None, 404, "a crafted path"),
]


def logged(path):
    return path.split("?")[0]


class AccessLogTest(unittest.TestCase):
    def run_cases(self, server):
        """[(case, status, client port, the server's log line for it)]."""
        results = []
        for method, path, body, expected, what in CASES:
            status, port = request(server, method, path, body)
            self.assertEqual(status, expected, what)
            # The line is written once the response is out: wait for it.
            line = server.wait_for_log(rf"http method={method} .*peer=ipv4:127\.0\.0\.1:{port} ",
                                       timeout=30)
            results.append(((method, path, expected, what), port, line))
        return results

    def assert_once(self, server, port):
        lines = [line for line in server.log_lines()
                 if "http method=" in line and f"peer=ipv4:127.0.0.1:{port} " in line]
        self.assertEqual(len(lines), 1, lines)

    def test_text_format(self):
        with HttpServer() as server:
            for (method, path, expected, what), port, line in self.run_cases(server):
                with self.subTest(what=what):
                    self.assertRegex(
                        line,
                        rf" (info|warning) http method={method} path={re.escape(logged(path))} "
                        rf"peer=ipv4:127\.0\.0\.1:{port} status={expected} duration_ms=\d+\.\d{{3}}$")
                    self.assertIn(" warning " if expected >= 400 else " info ", line)
                    self.assert_once(server, port)
            # The crafted path stayed on its line, its quote escaped.
            self.assertFalse(any(line.startswith("forged") for line in server.log_lines()))
            self.assertFalse([line for line in server.log_lines() if "peer=unknown" in line])

    def test_json_format(self):
        with HttpServer("--log-format", "json") as server:
            for (method, path, expected, what), port, line in self.run_cases(server):
                with self.subTest(what=what):
                    record = json.loads(line)
                    self.assertEqual(record["method"], method)
                    self.assertEqual(record["path"], logged(path))
                    self.assertEqual(record["peer"], f"ipv4:127.0.0.1:{port}")
                    self.assertEqual(record["status"], str(expected))
                    self.assertGreaterEqual(float(record["duration_ms"]), 0.0)
                    self.assertEqual(record["level"], "warning" if expected >= 400 else "info")
                    self.assert_once(server, port)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
