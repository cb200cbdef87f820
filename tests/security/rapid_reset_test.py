#!/usr/bin/python3
"""HTTP/2 "rapid reset" (issue 17, row 13): 20,000 HEADERS + RST_STREAM pairs
on one connection, for a read and for each write stream, must leave the
server's memory and threads bounded and the server answering.

The old server kept what a flood left resident (RSS 23 -> ~400 MB, held) and
let each reset write stream keep a reactor and a thread. Checked: the peak
resident size (VmHWM) stays under a generous bound, the thread count is
bounded once a fresh call has been answered, and the resident size comes
back down: between RSS readings the test makes a GetKpis call (a round trip,
no sleep), for at most RETURN_SECONDS.

Usage: rapid_reset_test.py SERVER_BINARY SUPPORT_DIR
"""
import subprocess
import sys
import time

PAIRS = 20_000
PEAK_GROWTH_MIB = 1024     # allowed growth of the peak resident size per flood
RETURNED_MIB = 150         # resident growth left once memory is given back (was ~400, held)
RETURN_SECONDS = 60
MAX_THREADS = 200          # gRPC's pollers and executors, the store, spare


def status_field(pid, name):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    raise KeyError(name)


def main():
    server_binary, support_dir = sys.argv[1:3]
    sys.path.insert(0, support_dir)
    import raw_h2  # noqa: E402  (tests/support, passed by CMake)

    failures = []
    for method in ("GetKpis", "IngestTransactions", "ImportCsv", "SeedDemoData"):
        server = subprocess.Popen(
            [server_binary, "--listen", "127.0.0.1:0", "--db", ":memory:",
             "--metrics-listen", ""],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            first = server.stdout.readline().strip()
            assert first.startswith("listening on "), first
            host, port = first[len("listening on "):].rsplit(":", 1)
            base_kib = status_field(server.pid, "VmHWM")
            base_rss_kib = status_field(server.pid, "VmRSS")
            try:
                with raw_h2.RawGrpcConnection(host, int(port), timeout=120) as flood:
                    sent = flood.rapid_reset(method, PAIRS)
                    alive = flood.ping(timeout=120) if sent == PAIRS else False
                # A fresh connection is served normally afterwards.
                with raw_h2.RawGrpcConnection(host, int(port), timeout=120) as fresh:
                    code, message = fresh.call("GetKpis", [raw_h2.grpc_frame(b"")], timeout=120)
                    peak_mib = (status_field(server.pid, "VmHWM") - base_kib) // 1024
                    threads = status_field(server.pid, "Threads")
                    give_up = time.monotonic() + RETURN_SECONDS
                    left_mib = (status_field(server.pid, "VmRSS") - base_rss_kib) // 1024
                    while left_mib > RETURNED_MIB and time.monotonic() < give_up:
                        fresh.call("GetKpis", [raw_h2.grpc_frame(b"")], timeout=120)
                        left_mib = (status_field(server.pid, "VmRSS") - base_rss_kib) // 1024
            except (OSError, raw_h2.ConnectionClosedError) as error:
                failures.append(f"{method}: the connection broke: {error!r}")
                continue
            print(f"{method}: {sent} pairs sent (connection kept: {alive}), peak RSS growth "
                  f"{peak_mib} MiB, {threads} threads, then GetKpis -> {code} {message!r}; "
                  f"resident growth left {left_mib} MiB")
            if code != 0:
                failures.append(f"{method}: the server no longer answers ({code} {message})")
            if left_mib > RETURNED_MIB:
                failures.append(f"{method}: {left_mib} MiB still resident after the flood "
                                f"(bound {RETURNED_MIB})")
            if peak_mib > PEAK_GROWTH_MIB:
                failures.append(f"{method}: peak RSS grew by {peak_mib} MiB "
                                f"(bound {PEAK_GROWTH_MIB})")
            if threads > MAX_THREADS:
                failures.append(f"{method}: {threads} threads left (bound {MAX_THREADS})")
        finally:
            died = server.poll()
            server.kill()
            server.wait()
        if died is not None:
            failures.append(f"{method}: the server died during the flood ({died})")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
