#!/usr/bin/python3
"""make soak: one server, many clients misbehaving at once, and a ledger.

For SOAK_SECONDS (default 600) against one analytics-server on a fresh SQLite
file, threads run at the same time:

  writers  IngestTransactions and ImportCsv streams of new lines, each write
           under a customer id of its own (soak-c<k>), of one of these kinds:
             ok         every message sent, the final one marked `last` -> OK
             no_last    the stream closes without `last`      -> must fail
             cancel     cancelled by the client mid-stream     -> must fail
             deadline   the client stops sending; deadline     -> must fail
             oversized  valid lines, then a message over 16 MiB -> must fail
             truncated  raw HTTP/2: valid message, cut frame, END_STREAM
             compressed raw HTTP/2: compressed flag, no grpc-encoding
  readers  GetKpis / GetBreakdown / GetSalesTrend / GetRfmSummary /
           ListCustomers / GetCustomer: every call must answer OK
  resets   bursts of HTTP/2 HEADERS + RST_STREAM ("rapid reset")
  rss      the server's resident memory, sampled every second

The ledger records every write and what its client saw. At the end, and again
after a SIGTERM and a restart on the same file, every write is looked up
(GetCustomer on its own customer id): an acknowledged write must be there
whole (revenue, profit, orders), a write that failed before its `last` was
sent must be absent, and a write whose outcome the client could not know (an
error after `last` was sent) must be all there or all absent. The store's
total revenue must equal the ledger's. Resident memory must stay under
SOAK_RSS_LIMIT_MB. The summary goes to bench/results/soak-<date>.md (with the
machine's details) and the exit code says whether every check held.

Usage: soak.py SERVER_BINARY [--seconds N] [--out FILE]
"""
import argparse
import datetime
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

import grpc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
import raw_h2  # noqa: E402  (the tests' raw HTTP/2 gRPC client)
from descriptor_messages import load_messages  # noqa: E402

SERVICE = "/customer_analytics.v1.AnalyticsService/"
FAILING_KINDS = ("no_last", "cancel", "deadline", "oversized", "truncated", "compressed")


def api_messages(proto_dir, work):
    """Message classes from a descriptor set protoc writes now (no generated code)."""
    out = os.path.join(work, "api.pb")
    subprocess.run(["protoc", "--include_imports", "--descriptor_set_out=" + out, "-I", proto_dir,
                    "-I", os.path.join(proto_dir, "..", "third_party", "googleapis"),
                    os.path.join(proto_dir, "customer_analytics/v1/analytics_service.proto")],
                   check=True)
    return load_messages(out)[0]


class Server:
    def __init__(self, binary, db):
        self.binary, self.db = binary, db
        self.process = None
        self.address = None

    def start(self):
        self.process = subprocess.Popen(
            [self.binary, "--listen", "127.0.0.1:0", "--db", self.db, "--metrics-listen", ""],
            stdout=subprocess.PIPE, stderr=open(self.db + ".log", "a"), text=True)
        first = self.process.stdout.readline().strip()
        if not first.startswith("listening on "):
            raise RuntimeError(f"server did not start: {first!r}")
        self.address = first[len("listening on "):]

    def rss_mb(self):
        try:
            with open(f"/proc/{self.process.pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def stop(self):
        """SIGTERM; returns the seconds the drain took."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=120)
        return time.monotonic() - started


class Ledger:
    """Every write, what its client saw, and what it must have left in the store."""

    def __init__(self):
        self.lock = threading.Lock()
        self.writes = {}  # k -> dict(kind, rpc, code, revenue, profit, orders, expect)

    def record(self, k, **entry):
        with self.lock:
            self.writes[k] = entry


class Soak:
    def __init__(self, args, message, server):
        self.args, self.message, self.server = args, message, server
        self.ledger = Ledger()
        self.stop = threading.Event()
        self.next_k = 0
        self.k_lock = threading.Lock()
        self.counts = {}
        self.read_failures = []
        self.rss = []
        self.errors = []
        self.channel = grpc.insecure_channel(server.address, options=[
            ("grpc.max_send_message_length", 64 << 20),
            ("grpc.max_receive_message_length", 64 << 20)])
        m = message
        self.ingest = self.channel.stream_unary(
            SERVICE + "IngestTransactions",
            request_serializer=m("IngestTransactionsRequest").SerializeToString,
            response_deserializer=m("IngestTransactionsResponse").FromString)
        self.import_csv = self.channel.stream_unary(
            SERVICE + "ImportCsv", request_serializer=m("ImportCsvRequest").SerializeToString,
            response_deserializer=m("ImportCsvResponse").FromString)
        self.unary = {}
        for name in ("GetKpis", "GetBreakdown", "GetSalesTrend", "GetRfmSummary",
                     "ListCustomers", "GetCustomer"):
            self.unary[name] = self.channel.unary_unary(
                SERVICE + name, request_serializer=m(name + "Request").SerializeToString,
                response_deserializer=m(name + "Response").FromString)

    def count(self, what):
        with self.k_lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def new_k(self):
        with self.k_lock:
            self.next_k += 1
            return self.next_k

    # ---- writes ---------------------------------------------------------
    def lines_for(self, k, rng):
        """(list of line dicts, revenue micros, profit micros, distinct orders)."""
        n = rng.randint(1, 300)
        orders = rng.randint(1, min(n, 20))
        lines = []
        revenue = profit = 0
        for j in range(n):
            sales_cents = rng.randint(1, 10_000_000)
            profit_cents = rng.randint(-5_000_000, 5_000_000)
            revenue += sales_cents * 10_000
            profit += profit_cents * 10_000
            order = j % orders
            day = 1 + (k + order) % 28  # one day per order
            lines.append(dict(line_id=f"soak-{k}-{j}", order_id=f"soak-o{k}-{order}",
                              order_date=f"2025-03-{day:02d}", customer_id=f"soak-c{k}",
                              customer_name=f"Soak {k}", region=rng.choice(["East", "West"]),
                              category=rng.choice(["Furniture", "Technology"]),
                              product_id=f"P{j}", sales=sales_cents / 100,
                              profit=profit_cents / 100, quantity=rng.randint(1, 9)))
        return lines, revenue, profit, len({line["order_id"] for line in lines})

    def ingest_messages(self, lines, rng, mark_last):
        Request = self.message("IngestTransactionsRequest")
        chunks = []
        i = 0
        while i < len(lines):
            step = rng.randint(1, 120)
            chunks.append(lines[i:i + step])
            i += step
        messages = []
        for index, chunk in enumerate(chunks):
            request = Request()
            for line in chunk:
                request.lines.add(**line)
            if mark_last and index == len(chunks) - 1:
                request.last = True
            messages.append(request)
        return messages

    def csv_bytes(self, lines):
        header = "Row ID,Order ID,Order Date,Customer ID,Customer Name,Region,Category," \
                 "Product ID,Sales,Profit,Quantity\n"
        rows = [f"{line['line_id']},{line['order_id']},{line['order_date']},"
                f"{line['customer_id']},{line['customer_name']},{line['region']},"
                f"{line['category']},{line['product_id']},{line['sales']:.2f},"
                f"{line['profit']:.2f},{line['quantity']}\n" for line in lines]
        return (header + "".join(rows)).encode()

    def csv_messages(self, lines, rng, mark_last):
        Request = self.message("ImportCsvRequest")
        options = Request()
        options.options.encoding = 1  # ENCODING_UTF8: the streamed mode
        options.options.date_order = 3  # DATE_ORDER_YMD
        if rng.random() < 0.5:  # the spooled mode: encoding and date order detected
            options.options.encoding = 0
            options.options.date_order = 0
        data = self.csv_bytes(lines)
        messages = [options]
        i = 0
        while i < len(data):
            step = rng.randint(1, 4096)
            messages.append(Request(chunk=data[i:i + step]))
            i += step
        if mark_last:
            messages[-1].last = True
        return messages

    def one_write(self, rng):
        k = self.new_k()
        kind = rng.choices(
            ["ok", "no_last", "cancel", "deadline", "oversized", "truncated", "compressed"],
            weights=[50, 8, 10, 4, 1, 8, 4])[0]
        rpc = "ImportCsv" if rng.random() < 0.4 else "IngestTransactions"
        lines, revenue, profit, orders = self.lines_for(k, rng)
        entry = dict(kind=kind, rpc=rpc, revenue=revenue, profit=profit, orders=orders)
        messages = (self.csv_messages if rpc == "ImportCsv" else self.ingest_messages)(
            lines, rng, mark_last=(kind == "ok"))
        call = self.import_csv if rpc == "ImportCsv" else self.ingest
        code = "OK"
        try:
            if kind == "ok" or kind == "no_last":
                call(iter(messages), timeout=120)
            elif kind == "cancel":
                sent = threading.Event()

                def requests():
                    yield from messages
                    sent.set()
                    self.stop.wait(30)  # never half-closes: cancelled below
                future = call.future(requests(), timeout=120)
                sent.wait(30)
                future.cancel()
                future.result()
            elif kind == "deadline":
                def requests():
                    yield from messages
                    self.stop.wait(30)
                call(requests(), timeout=1.5)
            elif kind == "oversized":
                big = self.message("IngestTransactionsRequest")()
                big.lines.add(line_id=f"soak-{k}-big", order_id=f"soak-o{k}-big",
                              order_date="2025-03-01", customer_id=f"soak-c{k}",
                              product_name="x" * (17 << 20), sales=1.0)
                big.last = True
                if rpc == "ImportCsv":
                    big = self.message("ImportCsvRequest")(chunk=b"y" * (17 << 20), last=True)
                call(iter(messages + [big]), timeout=120)
            else:  # truncated / compressed: raw HTTP/2 frames
                payloads = [m.SerializeToString() for m in messages]
                frames = [raw_h2.grpc_frame(p) for p in payloads[:-1]]
                last = payloads[-1]
                if kind == "truncated":
                    whole = raw_h2.grpc_frame(last)
                    frames.append(whole[:rng.randint(1, len(whole) - 1)])
                else:
                    frames.append(raw_h2.grpc_frame(last, compressed=True))
                host, port = self.server.address.rsplit(":", 1)
                with raw_h2.RawGrpcConnection(host, int(port)) as connection:
                    status, _ = connection.call(SERVICE + rpc, frames, end_stream=True)
                code = grpc.StatusCode.OK.name if status == 0 else f"status {status}"
        except grpc.RpcError as error:
            code = error.code().name
        except grpc.FutureCancelledError:
            code = "CANCELLED"
        # What the store must show for this write.
        if kind == "ok":
            expect = "present" if code == "OK" else "all_or_nothing"
        else:
            expect = "absent"  # `last` never reached the server
            if code == "OK":
                self.errors.append(f"write {k} ({kind}, {rpc}) answered OK")
        entry.update(code=code, expect=expect)
        self.ledger.record(k, **entry)
        self.count(f"{rpc} {kind} -> {code}")

    def writer(self, seed):
        rng = random.Random(seed)
        while not self.stop.is_set():
            try:
                self.one_write(rng)
            except Exception as error:  # a bug in the soak itself, or a hung server
                self.errors.append(f"writer: {error!r}")

    # ---- reads, resets, memory -----------------------------------------
    def reader(self, seed):
        rng = random.Random(seed)
        m = self.message
        while not self.stop.is_set():
            name = rng.choice(list(self.unary))
            request = m(name + "Request")()
            if name == "GetBreakdown":
                request.dimension = rng.randint(1, 2)
            elif name == "GetSalesTrend":
                request.granularity = rng.randint(1, 3)
            elif name == "GetCustomer":
                request.customer_id = f"soak-c{rng.randint(1, max(1, self.next_k))}"
            if rng.random() < 0.3 and name != "GetCustomer":
                request.filter.regions.append(rng.choice(["East", "West"]))
            try:
                self.unary[name](request, timeout=60)
                self.count(f"read {name} -> OK")
            except grpc.RpcError as error:
                if name == "GetCustomer" and error.code() == grpc.StatusCode.NOT_FOUND:
                    self.count("read GetCustomer -> NOT_FOUND")
                    continue
                self.read_failures.append(f"{name}: {error.code().name} {error.details()}")

    def resets(self, seed):
        rng = random.Random(seed)
        host, port = self.server.address.rsplit(":", 1)
        while not self.stop.wait(rng.uniform(5, 15)):
            try:
                with raw_h2.RawGrpcConnection(host, int(port)) as connection:
                    connection.rapid_reset(SERVICE + "GetKpis", 5000)
                self.count("rapid reset burst of 5000")
            except Exception as error:  # the server may close the connection: that is fine
                self.count(f"rapid reset burst ended: {type(error).__name__}")

    def memory(self):
        while not self.stop.wait(1):
            self.rss.append(self.server.rss_mb())

    # ---- checks ----------------------------------------------------------
    def verify(self, label):
        """Looks every write up; returns a list of violations."""
        violations = []
        get = self.unary["GetCustomer"]
        Request = self.message("GetCustomerRequest")
        committed_revenue = 0
        for k, entry in sorted(self.ledger.writes.items()):
            try:
                customer = get(Request(customer_id=f"soak-c{k}"), timeout=60).customer
                found = (customer.lifetime_revenue_micros, customer.lifetime_profit_micros,
                         customer.lifetime_orders)
            except grpc.RpcError as error:
                if error.code() != grpc.StatusCode.NOT_FOUND:
                    violations.append(f"{label}: write {k}: GetCustomer {error.code().name}")
                    continue
                found = None
            whole = (entry["revenue"], entry["profit"], entry["orders"])
            if found is not None:
                committed_revenue += found[0]
            if entry["expect"] == "present" and found != whole:
                violations.append(f"{label}: acknowledged write {k} ({entry['rpc']}) is "
                                  f"{'missing' if found is None else 'partial'}: {found} != {whole}")
            elif entry["expect"] == "absent" and found is not None:
                violations.append(f"{label}: failed write {k} ({entry['kind']}, {entry['rpc']}, "
                                  f"client saw {entry['code']}) was committed: {found}")
            elif entry["expect"] == "all_or_nothing" and found not in (None, whole):
                violations.append(f"{label}: write {k} with unknown outcome is partial: {found}")
        kpis = self.unary["GetKpis"](self.message("GetKpisRequest")(), timeout=60).current
        if kpis.revenue_micros != committed_revenue:
            violations.append(f"{label}: total revenue {kpis.revenue_micros} != the committed "
                              f"writes' {committed_revenue}")
        return violations

    def run(self, seconds):
        threads = [threading.Thread(target=self.writer, args=(i,)) for i in range(3)]
        threads += [threading.Thread(target=self.reader, args=(10 + i,)) for i in range(2)]
        threads += [threading.Thread(target=self.resets, args=(20,)),
                    threading.Thread(target=self.memory)]
        for thread in threads:
            thread.start()
        self.stop.wait(seconds)
        self.stop.set()
        for thread in threads:
            thread.join(timeout=180)


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.node()}, {os.cpu_count()} CPUs ({cpu}), {memory:.0f} GiB, {platform.platform()}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("server")
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", 600)))
    parser.add_argument("--rss-limit-mb", type=float,
                        default=float(os.environ.get("SOAK_RSS_LIMIT_MB", 1024)))
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="soak-")
    message = api_messages(os.path.join(ROOT, "proto"), work)
    server = Server(args.server, os.path.join(work, "soak.db"))
    server.start()
    soak = Soak(args, message, server)
    started = time.monotonic()
    soak.run(args.seconds)
    elapsed = time.monotonic() - started
    violations = soak.verify("after the soak")
    final_rss = server.rss_mb()
    soak.channel.close()
    drain = server.stop()
    server.start()
    soak_after = Soak(args, message, server)
    soak_after.ledger = soak.ledger
    violations += soak_after.verify("after SIGTERM and a restart")
    soak_after.channel.close()
    server.stop()

    peak = max(soak.rss, default=0.0)
    if peak > args.rss_limit_mb:
        violations.append(f"peak RSS {peak:.0f} MB over the limit {args.rss_limit_mb:.0f} MB")
    writes = soak.ledger.writes.values()
    acknowledged = sum(1 for w in writes if w["expect"] == "present")
    failed = sum(1 for w in writes if w["expect"] == "absent")
    unknown = sum(1 for w in writes if w["expect"] == "all_or_nothing")
    problems = violations + soak.errors + soak.read_failures
    # The tree the binary was presumably built from: a dirty tree or a
    # binary older than the last commit makes the line say so.
    commit = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                            capture_output=True, text=True).stdout.strip()
    built = datetime.datetime.utcfromtimestamp(os.path.getmtime(args.server))
    lines = [
        f"# Soak run {datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC",
        "",
        f"- machine: {machine()}",
        f"- tree: {commit}; server binary built {built:%Y-%m-%d %H:%M} UTC; "
        f"`make soak` (bench/soak.py), {elapsed:.0f} s",
        f"- writes: {len(soak.ledger.writes)} — acknowledged {acknowledged}, failed as they "
        f"must {failed}, outcome unknown to the client {unknown}",
        f"- acknowledged writes lost: {sum('missing' in v or 'partial' in v for v in violations)}; "
        f"unacknowledged writes committed: {sum('was committed' in v for v in violations)}",
        f"- server RSS: peak {peak:.0f} MB, at the end {final_rss:.0f} MB "
        f"(limit {args.rss_limit_mb:.0f} MB); SIGTERM drain {drain:.2f} s",
        f"- verdict: {'PASS' if not problems else 'FAIL'}",
        "",
        "| what | count |",
        "| --- | --- |",
    ]
    lines += [f"| {what} | {n} |" for what, n in sorted(soak.counts.items())]
    if problems:
        lines += ["", "## Problems", ""] + [f"- {p}" for p in problems[:200]]
    summary = "\n".join(lines) + "\n"
    print(summary)
    out = args.out or os.path.join(
        ROOT, "bench", "results", f"soak-{datetime.date.today().isoformat()}.md")
    with open(out, "w") as f:
        f.write(summary)
    print(f"written to {out}")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
