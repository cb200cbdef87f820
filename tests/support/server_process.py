"""The real analytics-server for Python tests, on an ephemeral loopback port.

    with ServerProcess(binary, "--stream-idle-timeout", "1s") as server:
        server.host, server.port, server.address   # "127.0.0.1:PORT"
        server.wait_for_log(r"code=DEADLINE_EXCEEDED", timeout=10)  # -> the line
        server.log_lines()                          # stderr so far

The server runs on an in-memory database (pass db=PATH for a file) with no
metrics endpoint unless the extra arguments give one; env={...} adds
environment variables (ANALYTICS_* settings). Its stderr is read on
a thread so the server never blocks on a full pipe, and tests can wait for a
log line instead of sleeping.
"""
import os
import re
import subprocess
import threading
import time


class ServerProcess:
    def __init__(self, binary, *args, db=":memory:", env=None):
        command = [binary, "--listen", "127.0.0.1:0", "--db", db]
        if "--metrics-listen" not in args:
            command += ["--metrics-listen", ""]
        self._process = subprocess.Popen(
            command + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, **(env or {})})
        self._lines = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._reader.start()
        first = self._process.stdout.readline().strip()
        if not first.startswith("listening on "):
            self.stop()
            raise RuntimeError(f"server did not start: {first!r}\n" + "\n".join(self._lines))
        self.address = first[len("listening on "):]
        self.host, port = self.address.rsplit(":", 1)
        self.port = int(port)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def _read_stderr(self):
        for line in self._process.stderr:
            with self._changed:
                self._lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def log_lines(self):
        with self._changed:
            return list(self._lines)

    def wait_for_log(self, pattern, timeout=10.0, start=0):
        """The first stderr line (from index `start`) matching `pattern`; TimeoutError if none."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self._lines[start:]:
                    if regex.search(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or self._process.poll() is not None:
                    raise TimeoutError(f"no log line matching {pattern!r}; log:\n" +
                                       "\n".join(self._lines[-20:]))
                self._changed.wait(min(left, 0.5))

    def stop(self):
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        self._reader.join(timeout=5)
        if self._process.stdout:
            self._process.stdout.close()
        # The reader has seen EOF once the process ended; closing stderr then
        # only releases the pipe (Python warns about it at exit otherwise).
        if self._process.stderr and not self._reader.is_alive():
            self._process.stderr.close()
