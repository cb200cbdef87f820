#!/usr/bin/python3
"""The write streams' commit rule, tried on the wire (tests/support/raw_h2.py):
a write commits only when a message marked `last` arrived and the stream then
ended cleanly; any other end writes nothing (api/write_stream.h).

For IngestTransactions and both ImportCsv modes (streamed: encoding and date
order given, lines written while the file arrives; spooled: auto-detect),
each case runs after a committed write and checks the totals (orders and
revenue from GetKpis) are unchanged after it:
  - no message marked last, then END_STREAM         -> INVALID_ARGUMENT "last: ..."
  - a message after the one marked last              -> INVALID_ARGUMENT "last: ..."
  - a truncated final gRPC frame, then END_STREAM    -> INVALID_ARGUMENT (issue 17, row 4;
    gRPC drops the cut frame silently, so only the missing mark shows it)
  - 100 lines, then a message over the 16 MiB limit  -> RESOURCE_EXHAUSTED, and the
    server's access log says RESOURCE_EXHAUSTED too (row 3)
  - a frame with the compressed flag and no grpc-encoding -> INVALID_ARGUMENT (row 12)
  - an idle stream (with and without a first message) -> DEADLINE_EXCEEDED after the
    configured idle timeout, and the write gate is free at once (row 6)
  - the client resets the stream                     -> nothing written
and with --require-last-message=false a stream without the mark commits.

Usage: write_stream_test.py SERVER_BINARY DESCRIPTOR_SET
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))

from raw_h2 import GRPC_STATUS, STATUS_NAME, RawGrpcConnection, grpc_frame  # noqa: E402
from descriptor_messages import load_messages  # noqa: E402
from server_process import ServerProcess  # noqa: E402

MAX_MESSAGE = 16 * 1024 * 1024  # the server's default --max-receive-message-bytes
IDLE_MS = 400


class Modes:
    """How each write stream carries `n` lines: a list of message payloads."""

    def __init__(self, message):
        self.Ingest = message("IngestTransactionsRequest")
        self.Import = message("ImportCsvRequest")
        self.KpisRequest = message("GetKpisRequest")
        self.KpisResponse = message("GetKpisResponse")
        self.SeedRequest = message("SeedDemoDataRequest")
        self.counter = 0

    def _ids(self, n):
        self.counter += 1
        return [f"{self.counter}-{i}" for i in range(n)]

    def ingest(self, n, last=True, pad=0):
        request = self.Ingest()
        for i, key in enumerate(self._ids(n)):
            line = request.lines.add(line_id=f"L{key}", order_id=f"O{key}",
                                     order_date="2024-06-30", customer_id=f"C{key}", sales=10)
            if pad and i == 0:
                line.product_name = "p" * pad
        request.last = last
        return ["IngestTransactions", [request.SerializeToString()]]

    def _import(self, n, last, pad, streamed):
        options = self.Import()
        if streamed:
            options.options.encoding = 1    # ENCODING_UTF8
            options.options.date_order = 3  # DATE_ORDER_YMD
        else:
            options.options.SetInParent()   # auto-detect: the lines wait in the spool
        rows = "".join(f"O{key},2024-06-30,C{key},10\n" for key in self._ids(n))
        chunk = self.Import(chunk=("Order ID,Order Date,Customer ID,Sales\n" + rows).encode())
        messages = [options.SerializeToString(), chunk.SerializeToString()]
        if pad:
            messages.append(self.Import(chunk=b"#" * pad).SerializeToString())
        messages[-1] += self.Import(last=last).SerializeToString()  # a later field merges in
        return ["ImportCsv", messages]

    def import_streamed(self, n, last=True, pad=0):
        return self._import(n, last, pad, streamed=True)

    def import_spooled(self, n, last=True, pad=0):
        return self._import(n, last, pad, streamed=False)


class Check:
    def __init__(self, server, modes):
        self.server = server
        self.modes = modes
        self.failures = []

    def connection(self):
        return RawGrpcConnection(self.server.host, self.server.port, timeout=60)

    def totals(self):
        with self.connection() as c:
            status, message, replies = c.call_with_response("GetKpis", [grpc_frame(b"")])
        assert status == 0, (status, message)
        current = self.modes.KpisResponse.FromString(replies[0]).current
        return current.orders, current.revenue_micros

    def expect(self, name, got, code, starts=None, contains=None):
        status, message = got
        ok = status == GRPC_STATUS[code]
        ok = ok and (starts is None or message.startswith(starts))
        ok = ok and (contains is None or contains in message)
        print(f"{'PASS' if ok else 'FAIL'} {name}: {STATUS_NAME.get(status, status)} {message!r}")
        if not ok:
            self.failures.append(f"{name}: want {code}, got {STATUS_NAME.get(status, status)} "
                                 f"{message!r}")

    def unchanged(self, name, before):
        after = self.totals()
        if after != before:
            print(f"FAIL {name}: written: totals {before} -> {after}")
            self.failures.append(f"{name}: something was written ({before} -> {after})")

    def commits(self, name, build, n=3):
        before = self.totals()
        method, messages = build(n)
        with self.connection() as c:
            self.expect(f"{name}: a complete stream", c.call(method, map(grpc_frame, messages)),
                        "OK")
        after = self.totals()
        if after[0] != before[0] + n:
            self.failures.append(f"{name}: the complete stream did not commit ({before} -> "
                                 f"{after})")


def contract_cases(check, modes):
    for mode in ("ingest", "import_streamed", "import_spooled"):
        build = getattr(modes, mode)
        check.commits(mode, build)
        before = check.totals()

        method, messages = build(3, last=False)
        with check.connection() as c:
            check.expect(f"{mode}: no message marked last", c.call(method, map(grpc_frame, messages)),
                         "INVALID_ARGUMENT", starts="last: ")

        method, messages = build(3)
        _, extra = build(1, last=False)
        with check.connection() as c:
            check.expect(f"{mode}: a message after the last",
                         c.call(method, [grpc_frame(m) for m in messages + extra[-1:]]),
                         "INVALID_ARGUMENT", starts="last: ")

        # Row 4: the final frame cut short (in its payload, and in its 5-byte
        # prefix); the complete messages before it are valid.
        for cut_name, cut in (("payload", 4), ("prefix", None)):
            method, messages = build(3, last=False)
            _, final = build(2)
            frame = grpc_frame(final[-1])
            cut_frame = frame[:-cut] if cut else frame[:3]
            with check.connection() as c:
                check.expect(f"{mode}: a truncated final frame ({cut_name})",
                             c.call(method, [grpc_frame(m) for m in messages] + [cut_frame]),
                             "INVALID_ARGUMENT", starts="last: ")

        # Row 3: 100 lines, then a message just over the limit (marked last).
        method, messages = build(100, last=False)
        _, big = build(1, pad=MAX_MESSAGE + 1024)
        log_from = len(check.server.log_lines())
        with check.connection() as c:
            check.expect(f"{mode}: a message over the size limit",
                         c.call(method, [grpc_frame(m) for m in messages + big[-1:]]),
                         "RESOURCE_EXHAUSTED")
        try:
            check.server.wait_for_log(rf"rpc method={method} .*code=RESOURCE_EXHAUSTED",
                                      timeout=10, start=log_from)
            print(f"PASS {mode}: the access log says RESOURCE_EXHAUSTED")
        except TimeoutError as error:
            print(f"FAIL {mode}: the access log does not say RESOURCE_EXHAUSTED")
            check.failures.append(f"{mode}: {error}")

        # Row 12: a frame marked compressed on a call without grpc-encoding.
        method, messages = build(3)
        with check.connection() as c:
            check.expect(f"{mode}: compressed flag without grpc-encoding",
                         c.call(method, [grpc_frame(m) for m in messages[:-1]] +
                                [grpc_frame(messages[-1], compressed=True)]),
                         "INVALID_ARGUMENT", contains="compressed")

        # The client resets the stream after its lines (even after the mark).
        method, messages = build(3)
        with check.connection() as c:
            stream = c.open_stream(method)
            for m in messages:
                c.send(stream, grpc_frame(m))
            c.reset(stream)
            c.ping()  # the reset has reached the server
        check.unchanged(f"{mode}: the failed streams", before)
        check.commits(f"{mode} (after the failures)", build)


def idle_cases(check, modes):
    for mode in ("ingest", "import_streamed", "import_spooled"):
        build = getattr(modes, mode)
        before = check.totals()
        method, messages = build(3, last=False)
        for name, sent in (("after a message", messages), ("before any message", [])):
            with check.connection() as c:
                # No END_STREAM: the server must end the call itself.
                try:
                    got = c.call(method, [grpc_frame(m) for m in sent], end_stream=False,
                                 timeout=30)
                except TimeoutError:
                    got = (-1, "no answer in 30 s: the stream was held open")
                check.expect(f"{mode}: an idle stream {name}", got, "DEADLINE_EXCEEDED",
                             contains="sent no message")
            # The gate is free at once: with --write-wait-ms 0 a held gate is
            # an immediate ABORTED.
            check.commits(f"{mode}: right after the idle stream", build)
            before = (before[0] + 3, before[1] + 30_000_000)
        check.unchanged(f"{mode}: idle streams", before)


def gate_held_cases(check, modes):
    """A stream that fails while its writer waits for the write gate gets
    its own reason at once: not the wait's ABORTED after --write-wait-ms,
    nor a CANCELLED from the wait being cut short. (IngestTransactions reads
    while it waits; ImportCsv reads only once it holds the gate.)"""
    method, held = modes.ingest(1, last=False)
    probe = modes.SeedRequest(line_count=1, customer_count=1).SerializeToString()
    with check.connection() as holder:
        stream = holder.open_stream(method)
        holder.send(stream, grpc_frame(held[0]))
        # The holder has the gate once a short write can no longer get it.
        for _ in range(1000):
            with check.connection() as c:
                status, _ = c.call("SeedDemoData", [grpc_frame(probe)],
                                   metadata=[("grpc-timeout", "200m")])
            if status != 0:
                break
        before = check.totals()
        _, messages = modes.ingest(3, last=False)
        with check.connection() as c:
            try:
                got = c.call(method, map(grpc_frame, messages), timeout=20)
            except TimeoutError:
                got = (-1, "no answer in 20 s: the stream waited for the gate")
            check.expect("ingest: no message marked last, the gate held by another",
                         got, "INVALID_ARGUMENT", starts="last: ")
        holder.reset(stream)
        holder.ping()
    check.unchanged("ingest: the streams failed behind the gate", before)


def legacy_cases(check, modes):
    for mode in ("ingest", "import_streamed", "import_spooled"):
        build = getattr(modes, mode)
        before = check.totals()
        method, messages = build(3, last=False)
        with check.connection() as c:
            check.expect(f"{mode}: no mark, --require-last-message=false",
                         c.call(method, map(grpc_frame, messages)), "OK")
        if check.totals()[0] != before[0] + 3:
            check.failures.append(f"{mode}: an unmarked stream did not commit in legacy mode")


def main():
    server_binary, descriptor_set = sys.argv[1:3]
    modes = Modes(load_messages(descriptor_set)[0])
    failures = []
    # Settings through the environment, so an older server (without these
    # flags) still starts and shows what it does.
    groups = (
        (contract_cases, {}),
        (gate_held_cases, {"ANALYTICS_WRITE_WAIT_MS": "60000"}),
        (idle_cases, {"ANALYTICS_STREAM_IDLE_TIMEOUT": f"{IDLE_MS}ms",
                      "ANALYTICS_WRITE_WAIT_MS": "0"}),
        (legacy_cases, {"ANALYTICS_REQUIRE_LAST_MESSAGE": "false"}),
    )
    for cases, env in groups:
        with ServerProcess(server_binary, env=env) as server:
            check = Check(server, modes)
            cases(check, modes)
            failures += check.failures
    if failures:
        print("\n".join(["", "FAILED:"] + failures))
        return 1
    print("all write-stream cases passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
