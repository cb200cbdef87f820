"""Raw gRPC over HTTP/2 for tests: send exactly the bytes a real client would
not (Debian's python3-h2; no grpcio).

A gRPC client library always frames whole messages and closes streams
cleanly, so it cannot produce the shapes these tests need: a truncated final
gRPC frame followed by END_STREAM, a frame whose compressed flag is set
without a grpc-encoding, a stream that is opened and left idle, or thousands
of HEADERS + RST_STREAM pairs ("rapid reset"). This module speaks HTTP/2
with prior knowledge (cleartext, no TLS) and lets the caller choose every
DATA byte.

API
---
grpc_frame(payload, compressed=False) -> bytes
    One gRPC length-prefixed message: a flag byte (1 = compressed), a 4-byte
    big-endian length, the payload. Cut the result (frame[:-3]) for a
    truncated frame.

method_path(method) -> str
    "IngestTransactions" -> "/customer_analytics.v1.AnalyticsService/IngestTransactions";
    a path starting with "/" is kept.

RawGrpcConnection(host, port, timeout=10.0)       (also a context manager)
    .call(method, frames, end_stream=True, metadata=None, timeout=None)
        -> (grpc_status: int, grpc_message: str)
        Opens a stream, sends each element of `frames` (bytes, in order, each
        as DATA; concatenate them yourself to share one DATA frame), then
        END_STREAM if `end_stream`, and waits for the trailers. With
        end_stream=False the stream stays open until the server ends it
        (e.g. an idle timeout).
    .call_with_response(...) -> (grpc_status, grpc_message, [payload, ...])
        As call, plus the response messages' payloads (gRPC frames parsed).
    .open_stream(method, metadata=None) -> stream_id
    .send(stream_id, data, end_stream=False)   (respects flow control)
    .end_stream(stream_id)
    .reset(stream_id, error_code=8)            RST_STREAM (8 = CANCEL)
    .wait_status(stream_id, timeout=None) -> (grpc_status, grpc_message)
        Raises TimeoutError when the server does not end the stream in time,
        StreamResetError when it resets the stream instead.
    .rapid_reset(method, n, metadata=None) -> int
        Sends n HEADERS + RST_STREAM pairs as fast as the socket takes them
        (no reads between pairs beyond what flow control needs); returns how
        many pairs were sent before the server closed the connection.
    .ping(timeout=None) -> bool
        A PING and its ACK: is the connection still served?
    .close()

Frames the server sends on a stream after it has answered it (trailers with
END_STREAM, or RST_STREAM) are dropped before h2 sees them and counted in
.frames_after_answer; their header blocks still go through the HPACK decoder,
so later streams decode. gRPC 1.51's server does send them: at a deadline it
can write DEADLINE_EXCEEDED trailers + RST_STREAM and then CANCELLED trailers
+ RST_STREAM for the same stream, which h2 takes for a connection error and
which gRPC's own clients ignore.

`metadata` is a list of (name, value) pairs added to the request headers,
e.g. [("authorization", "Bearer x")] or [("grpc-encoding", "gzip")].
grpc_status is -1 when the stream ended without a grpc-status (not a gRPC
answer). Status codes: see GRPC_STATUS below.
"""
import socket
import struct
import time
import urllib.parse

import h2.config
import h2.connection
import h2.errors
import h2.events
import h2.exceptions
import h2.settings

SERVICE = "customer_analytics.v1.AnalyticsService"

GRPC_STATUS = {
    "OK": 0, "CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4,
    "NOT_FOUND": 5, "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8,
    "FAILED_PRECONDITION": 9, "ABORTED": 10, "OUT_OF_RANGE": 11, "UNIMPLEMENTED": 12,
    "INTERNAL": 13, "UNAVAILABLE": 14, "DATA_LOSS": 15, "UNAUTHENTICATED": 16,
}
STATUS_NAME = {code: name for name, code in GRPC_STATUS.items()}


class StreamResetError(Exception):
    """The server reset the stream (RST_STREAM) instead of answering."""

    def __init__(self, error_code):
        super().__init__(f"stream reset by the server, HTTP/2 error code {error_code}")
        self.error_code = error_code


class ConnectionClosedError(Exception):
    """The server closed the connection (GOAWAY or EOF)."""


def grpc_frame(payload, compressed=False):
    """One gRPC message frame: flag byte, 4-byte big-endian length, payload."""
    return struct.pack(">BI", 1 if compressed else 0, len(payload)) + bytes(payload)


def parse_grpc_frames(data):
    """Splits a response body into message payloads (a trailing fragment is dropped)."""
    payloads = []
    while len(data) >= 5:
        _, size = struct.unpack(">BI", data[:5])
        if len(data) < 5 + size:
            break
        payloads.append(data[5:5 + size])
        data = data[5 + size:]
    return payloads


def method_path(method):
    return method if method.startswith("/") else f"/{SERVICE}/{method}"


# HTTP/2 frame types and flags (RFC 9113, section 6).
_DATA, _HEADERS, _RST_STREAM, _CONTINUATION = 0x0, 0x1, 0x3, 0x9
_END_STREAM, _END_HEADERS, _PADDED, _PRIORITY = 0x1, 0x4, 0x8, 0x20


class _Stream:
    def __init__(self):
        self.headers = {}
        self.body = b""
        self.ended = False
        self.reset_code = None


class RawGrpcConnection:
    def __init__(self, host, port, timeout=10.0):
        self.host = host
        self.port = int(port)
        self.timeout = timeout
        self._sock = socket.create_connection((host, self.port), timeout=timeout)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._conn = h2.connection.H2Connection(
            h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self._conn.initiate_connection()
        self._streams = {}
        self._closed = False
        self._pings = 0
        self._acked = 0
        self._inbound = bytearray()  # received bytes not yet a whole frame
        self._ending = set()  # streams whose END_STREAM header block is open
        self._answered = set()  # streams the server has ended or reset
        self._late_block = b""  # a dropped header block, for HPACK
        self.frames_after_answer = 0
        self._flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self._sock is not None:
            try:
                self._conn.close_connection()
                self._flush()
            except Exception:  # the server may have gone already
                pass
            self._sock.close()
            self._sock = None

    # --- streams -----------------------------------------------------------

    def open_stream(self, method, metadata=None):
        stream_id = self._conn.get_next_available_stream_id()
        headers = [
            (":method", "POST"), (":scheme", "http"), (":path", method_path(method)),
            (":authority", f"{self.host}:{self.port}"),
            ("content-type", "application/grpc"), ("te", "trailers"),
        ] + list(metadata or [])
        self._conn.send_headers(stream_id, headers)
        self._streams[stream_id] = _Stream()
        self._flush()
        return stream_id

    def send(self, stream_id, data, end_stream=False):
        data = bytes(data)
        while data:
            window = min(self._conn.local_flow_control_window(stream_id),
                         self._conn.max_outbound_frame_size)
            if window <= 0:
                self._receive_once(self.timeout)
                stream = self._streams[stream_id]
                if stream.ended or stream.reset_code is not None:
                    return  # the server answered early; the rest is moot
                continue
            self._conn.send_data(stream_id, data[:window])
            data = data[window:]
            self._flush()
        if end_stream:
            self.end_stream(stream_id)

    def end_stream(self, stream_id):
        stream = self._streams[stream_id]
        if stream.ended or stream.reset_code is not None:
            return
        try:
            self._conn.end_stream(stream_id)
        except h2.exceptions.StreamClosedError:
            return
        self._flush()

    def reset(self, stream_id, error_code=h2.errors.ErrorCodes.CANCEL):
        try:
            self._conn.reset_stream(stream_id, error_code)
        except h2.exceptions.StreamClosedError:
            return
        self._flush()

    def wait_status(self, stream_id, timeout=None):
        stream = self._streams[stream_id]
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while not stream.ended and stream.reset_code is None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"stream {stream_id}: no answer in time")
            self._receive_once(left)
        if stream.reset_code is not None and "grpc-status" not in stream.headers:
            raise StreamResetError(stream.reset_code)
        status = int(stream.headers.get("grpc-status", -1))
        message = urllib.parse.unquote(stream.headers.get("grpc-message", ""))
        return status, message

    def call_with_response(self, method, frames, end_stream=True, metadata=None, timeout=None):
        stream_id = self.open_stream(method, metadata)
        for frame in frames:
            self.send(stream_id, frame)
            if self._streams[stream_id].ended:
                break
        if end_stream:
            self.end_stream(stream_id)
        status, message = self.wait_status(stream_id, timeout)
        responses = parse_grpc_frames(self._streams[stream_id].body)
        del self._streams[stream_id]
        return status, message, responses

    def call(self, method, frames, end_stream=True, metadata=None, timeout=None):
        status, message, _ = self.call_with_response(method, frames, end_stream, metadata, timeout)
        return status, message

    def rapid_reset(self, method, n, metadata=None):
        sent = 0
        try:
            for _ in range(n):
                stream_id = self.open_stream(method, metadata)
                self.reset(stream_id)
                del self._streams[stream_id]
                sent += 1
                # Read what the server sent (window updates, GOAWAY) without waiting.
                self._receive_once(0)
        except (ConnectionClosedError, OSError, h2.exceptions.ProtocolError):
            pass
        return sent

    def ping(self, timeout=None):
        self._pings += 1
        want = self._pings
        try:
            self._conn.ping(struct.pack(">Q", want))
            self._flush()
            deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
            while self._acked < want:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._receive_once(left)
        except (ConnectionClosedError, OSError, h2.exceptions.ProtocolError):
            return False
        return True

    # --- I/O ---------------------------------------------------------------

    def _flush(self):
        data = self._conn.data_to_send()
        if data:
            if self._sock is None:
                raise ConnectionClosedError("connection closed")
            self._sock.sendall(data)

    def _receive_once(self, timeout):
        """Reads what arrives within `timeout` seconds (0: only what is there)."""
        if self._sock is None:
            raise ConnectionClosedError("connection closed")
        self._sock.settimeout(timeout if timeout > 0 else 0.0)
        try:
            data = self._sock.recv(65536)
        except (socket.timeout, BlockingIOError):
            return
        finally:
            self._sock.settimeout(self.timeout)
        if not data:
            self._closed = True
            self._fail_open_streams()
            raise ConnectionClosedError("the server closed the connection")
        for event in self._conn.receive_data(self._without_frames_after_answer(data)):
            self._handle(event)
        self._flush()

    def _without_frames_after_answer(self, data):
        """The whole frames in `data` (and earlier partial ones), less those
        on streams the server has already answered (see the module doc)."""
        self._inbound += data
        kept = bytearray()
        while len(self._inbound) >= 9:
            length = int.from_bytes(self._inbound[:3], "big")
            if len(self._inbound) < 9 + length:
                break
            frame = bytes(self._inbound[:9 + length])
            del self._inbound[:9 + length]
            kind, flags = frame[3], frame[4]
            stream_id = int.from_bytes(frame[5:9], "big") & 0x7FFFFFFF
            if stream_id in self._answered and kind in (_DATA, _HEADERS, _RST_STREAM, _CONTINUATION):
                self.frames_after_answer += 1
                self._drop(kind, flags, frame[9:])
                continue
            kept += frame
            if kind == _HEADERS and flags & _END_STREAM:
                self._ending.add(stream_id)
            if kind in (_HEADERS, _CONTINUATION) and flags & _END_HEADERS and stream_id in self._ending:
                self._ending.discard(stream_id)
                self._answered.add(stream_id)
            elif (kind == _DATA and flags & _END_STREAM) or kind == _RST_STREAM:
                self._answered.add(stream_id)
        return bytes(kept)

    def _drop(self, kind, flags, payload):
        if kind == _DATA:
            if payload:  # the connection's window still counts it
                self._conn.increment_flow_control_window(len(payload))
            return
        if kind == _RST_STREAM:
            return
        if kind == _HEADERS:
            if flags & _PADDED:
                payload = payload[1:len(payload) - payload[0]]
            if flags & _PRIORITY:
                payload = payload[5:]
            self._late_block = b""
        self._late_block += payload
        if flags & _END_HEADERS:
            self._conn.decoder.decode(self._late_block)
            self._late_block = b""

    def _fail_open_streams(self):
        for stream in self._streams.values():
            if not stream.ended and stream.reset_code is None:
                stream.reset_code = -1

    def _handle(self, event):
        stream = self._streams.get(getattr(event, "stream_id", None))
        if isinstance(event, (h2.events.ResponseReceived, h2.events.TrailersReceived)):
            if stream is not None:
                for name, value in event.headers:
                    stream.headers[name] = value
        elif isinstance(event, h2.events.DataReceived):
            if stream is not None:
                stream.body += event.data
            self._conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            if stream is not None:
                stream.ended = True
        elif isinstance(event, h2.events.StreamReset):
            if stream is not None:
                stream.reset_code = event.error_code
        elif isinstance(event, h2.events.PingAckReceived):
            self._acked = max(self._acked, struct.unpack(">Q", event.ping_data)[0])
        elif isinstance(event, h2.events.ConnectionTerminated):
            self._closed = True
            self._fail_open_streams()
