#!/usr/bin/python3
"""What the store metrics of a real server say, checked against the store itself.

- analytics_lines_ingested_total counts every line written since start-up: the start-up demo
  seed (--seed-demo-if-empty), SeedDemoData and an import, not only the RPCs' own reports.
- analytics_database_size_bytes is page_count x page_size of the database (read here through a
  second SQLite connection), and its HELP text says so rather than claiming the -wal file.

Usage: metrics_values_test.py SERVER_BINARY CLI_BINARY (exit 77: binaries not built)
"""
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))
from server_process import ServerProcess  # noqa: E402

DEMO_DEFAULT_LINES = 1500  # SeedDemoDataRequest.line_count's default, which the start-up seed uses


def scrape(port):
    text = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
    samples, helps = {}, {}
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name, _, help_text = line[len("# HELP "):].partition(" ")
            helps[name] = help_text
        elif line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            samples[name] = float(value)
    return samples, helps


def main():
    server_binary, cli_binary = (sys.argv[1:3] + ["", ""])[:2]
    if not server_binary or not cli_binary:
        print("SKIP: analytics-server or analytics-cli not built")
        return 77
    with tempfile.TemporaryDirectory() as tmp:
        db = os.path.join(tmp, "analytics.db")
        with ServerProcess(server_binary, "--seed-demo-if-empty", "--metrics-listen",
                           "127.0.0.1:0", db=db) as server:
            port = int(re.search(r"metrics on port (\d+)",
                                 server.wait_for_log(r"metrics on port \d+")).group(1))
            samples, helps = scrape(port)
            assert samples["analytics_order_lines"] == DEMO_DEFAULT_LINES, samples
            assert samples["analytics_lines_ingested_total"] == DEMO_DEFAULT_LINES, (
                "the start-up seed must count", samples["analytics_lines_ingested_total"])

            help_text = helps["analytics_database_size_bytes"]
            assert "page count times page size" in help_text, help_text
            assert "write-ahead log file is not included" in help_text, help_text
            with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
                page_count, = connection.execute("PRAGMA page_count").fetchone()
                page_size, = connection.execute("PRAGMA page_size").fetchone()
            assert samples["analytics_database_size_bytes"] == page_count * page_size, (
                samples["analytics_database_size_bytes"], page_count, page_size)

            def cli(*args, stdin=None):
                result = subprocess.run([cli_binary, "--server", server.address, *args],
                                        input=stdin, capture_output=True, text=True, timeout=60)
                assert result.returncode == 0, (args, result.stdout, result.stderr)

            cli("seed", "--seed", "7", "--lines", "100", "--customers", "10")
            cli("import", "-", "--quiet", stdin=(
                "Order ID,Order Date,Customer ID,Sales\n"
                "M-1,2024-01-02,MC-1,10\n"
                "M-2,2024-01-03,MC-2,20\n"))
            samples, _ = scrape(port)
            assert samples["analytics_lines_ingested_total"] == DEMO_DEFAULT_LINES + 100 + 2, (
                samples["analytics_lines_ingested_total"])
    print("OK: lines ingested count the start-up seed, SeedDemoData and imports; the database "
          "size is page_count x page_size as its HELP says")
    return 0


if __name__ == "__main__":
    sys.exit(main())
