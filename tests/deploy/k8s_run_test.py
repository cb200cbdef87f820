#!/usr/bin/python3
"""Runs the built analytics-server exactly as a rendered overlay tells the
kubelet to, and checks what the cluster relies on.

Usage: k8s_run_test.py --overlay DIR --dockerfile deploy/Dockerfile
                       --bin analytics-server=PATH --bin analytics-cli=PATH

From the rendered Deployment's server container and the image (the
Dockerfile's final stage: ENTRYPOINT, ENV, WORKDIR, USER) it builds the
process: argv = command/args or ENTRYPOINT, environment = image ENV, then
envFrom ConfigMaps, then env (valueFrom resolved). Then, like the kubelet:
  1. polls the startupProbe (grpc.health.v1.Health/Check, a real gRPC call)
     until SERVING, bounded by the probe's own failureThreshold x period;
     then the readiness and liveness probes must pass;
  2. runs each Job of the overlay (the demo-data seed) against the Service,
     retrying a failed attempt as the Job controller would;
  3. calls AnalyticsService/GetKpis through the Service's targetPort;
  4. scrapes the metrics port at the pod's prometheus.io/path, which must
     parse and count the GetKpis call in analytics_rpc_requests_total;
  5. sends SIGTERM and requires exit code 0 within
     terminationGracePeriodSeconds, the database file on the volume;
  6. starts it again on the same volume (a Recreate upgrade) and requires
     the same GetKpis answer;
  7. drains: with an IngestTransactions stream held open (seen in the
     analytics_rpc_in_flight gauge, polled), SIGTERM must turn the readiness
     probe failing, let the call finish OK once the client closes it, and
     exit 0 within the grace period.

Sandbox mapping (the only liberties taken, so a CI host can run it):
  * volumes: each volumeMount's mountPath becomes a fresh folder; env values
    and args under a mountPath are rewritten into it (ANALYTICS_DB, TMPDIR);
  * ports: each containerPort is mapped to a free local port; "HOST:PORT"
    env values and args naming a containerPort, the probes and the Service's
    targetPorts are rewritten consistently (50051 and 9090 may be busy);
  * user: when run as root, the process runs as the pod's runAsUser/fsGroup,
    with volumes owned by them and the working folder not writable, as with a
    read-only root filesystem.
Exit 77 (ctest: skipped) when analytics-server has not been built at all.
"""
import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

# Before grpc is imported: this script forks (the server, each Job attempt)
# after its probes have run gRPC calls, and grpcio's fork support joins
# gRPC's threads in a pre-fork handler — which hung forever now and then
# (gdb: __libc_fork -> __run_prefork_handlers -> cygrpc -> pthread_join),
# the deploy.k8s.run timeouts seen in CI. The children exec at once and
# need no gRPC state, so the support is not needed.
os.environ["GRPC_ENABLE_FORK_SUPPORT"] = "false"

import grpc  # noqa: E402 (after the environment above)
from prometheus_client.parser import text_string_to_metric_families

from k8s_manifests import (ManifestError, container_port, host_port, of_kind, one, render,
                           resolve_env, selects, server_container)

SKIP = 77
POLL_SECONDS = 0.05  # the probe loop's period; the bound comes from the probe spec
DOCKER_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HEALTH_CHECK = "/grpc.health.v1.Health/Check"
GET_KPIS = "/customer_analytics.v1.AnalyticsService/GetKpis"
INGEST = "/customer_analytics.v1.AnalyticsService/IngestTransactions"
SERVING = 1
JOB_ATTEMPT_SECONDS = 60
JOB_RETRIES = 2


class TestFailure(Exception):
    pass


def log(message):
    print(message, flush=True)


# --- the image ------------------------------------------------------------------

def final_stage(dockerfile):
    """ENTRYPOINT, CMD, ENV, WORKDIR of the Dockerfile's last stage."""
    with open(dockerfile, encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    image = {"entrypoint": [], "cmd": [], "env": {}, "workdir": "/"}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        if instruction == "FROM":
            image = {"entrypoint": [], "cmd": [], "env": {}, "workdir": "/"}
        elif instruction in ("ENTRYPOINT", "CMD"):
            value = json.loads(rest) if rest.lstrip().startswith("[") else ["/bin/sh", "-c", rest]
            image[instruction.lower()] = value
        elif instruction == "ENV":
            words = shlex.split(rest)
            if words and "=" not in words[0]:
                image["env"][words[0]] = " ".join(words[1:])
            else:
                for word in words:
                    key, _, value = word.partition("=")
                    image["env"][key] = value
        elif instruction == "WORKDIR":
            image["workdir"] = os.path.join(image["workdir"], rest.strip())
    if not image["entrypoint"]:
        raise TestFailure(f"{dockerfile}: the final stage has no ENTRYPOINT")
    return image


# --- the sandbox ----------------------------------------------------------------

def free_port():
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


class Sandbox:
    """Folders standing in for the pod's volumes, ports standing in for its
    container ports, and the binaries standing in for the image's."""

    def __init__(self, root, binaries, pod_spec, container, image):
        self.root = root
        self.image = image
        security = {**pod_spec.get("securityContext", {}), **container.get("securityContext", {})}
        self.uid = security.get("runAsUser") if os.geteuid() == 0 else None
        self.gid = security.get("runAsGroup", self.uid) if self.uid is not None else None
        fs_group = pod_spec.get("securityContext", {}).get("fsGroup")
        self.groups = [fs_group] if fs_group is not None and self.uid is not None else []

        os.chmod(root, 0o755)
        self.bin_dir = os.path.join(root, "bin")
        os.makedirs(self.bin_dir)
        self.binaries = {}
        for name, path in binaries.items():
            if path and os.path.exists(path):
                # A copy in a world-readable folder: the build tree may not be
                # reachable by the pod's user.
                self.binaries[name] = shutil.copy(path, os.path.join(self.bin_dir, name))
                os.chmod(self.binaries[name], 0o755)

        self.mounts = {}  # mountPath -> host folder
        for mount in container.get("volumeMounts", []):
            host = os.path.normpath(os.path.join(root, "volumes", mount["name"], mount.get("subPath", "")))
            os.makedirs(host, exist_ok=True)
            if self.uid is not None:
                for folder in (os.path.dirname(host.rstrip("/")), host):
                    os.chown(folder, self.uid, fs_group if fs_group is not None else self.gid)
                    os.chmod(folder, 0o2775)
            self.mounts[mount["mountPath"].rstrip("/") or "/"] = host
        # The image's root filesystem: read-only in the pod, so not writable here.
        self.rootfs_workdir = os.path.join(root, "rootfs")
        os.makedirs(self.rootfs_workdir)
        self.ports = {p["containerPort"]: free_port() for p in container.get("ports", [])}
        self.logs = os.path.join(root, "logs")
        os.makedirs(self.logs)

    def path(self, value):
        for mount_path in sorted(self.mounts, key=len, reverse=True):
            if value == mount_path or value.startswith(mount_path + "/"):
                return self.mounts[mount_path] + value[len(mount_path):]
        return None

    def rewrite(self, value, services=None):
        """`value` with container ports, Service addresses and volume paths
        mapped into the sandbox."""
        if value.startswith("-") and "=" in value:
            flag, _, rest = value.partition("=")
            return flag + "=" + self.rewrite(rest, services)
        address = host_port(value)
        if address is not None:
            host, port = address
            if services and (host.split(".")[0], port) in services:
                return f"127.0.0.1:{services[(host.split('.')[0], port)]}"
            if port in self.ports:
                return f"{host}:{self.ports[port]}"
        mapped = self.path(value)
        return mapped if mapped is not None else value

    def executable(self, argv0):
        name = os.path.basename(argv0)
        if name not in self.binaries:
            raise TestFailure(f"{argv0} is not a built binary (have: {', '.join(self.binaries)})")
        return self.binaries[name]

    def workdir(self):
        return self.path(self.image["workdir"]) or self.rootfs_workdir

    def spawn(self, name, argv, env):
        out = open(os.path.join(self.logs, name + ".out"), "wb")
        err = open(os.path.join(self.logs, name + ".err"), "wb")
        kwargs = {}
        if self.uid is not None:
            kwargs = {"user": self.uid, "group": self.gid, "extra_groups": self.groups}
        process = subprocess.Popen([self.executable(argv[0])] + argv[1:], env=env,
                                   cwd=self.workdir(), stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=err, **kwargs)
        out.close()
        err.close()
        return process

    def read(self, name, stream):
        path = os.path.join(self.logs, f"{name}.{stream}")
        if not os.path.exists(path):
            return b""
        with open(path, "rb") as f:
            return f.read()

    def output(self, name):
        parts = []
        for stream in ("out", "err"):
            path = os.path.join(self.logs, f"{name}.{stream}")
            if os.path.exists(path):
                parts.append(f"--- {name} std{stream} ---\n" +
                             self.read(name, stream)[-4000:].decode("utf-8", "replace"))
        return "\n".join(parts)


# --- gRPC, as the kubelet and a client do it ----------------------------------------

def encode_varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def encode_string_field(number, text):
    data = text.encode()
    return bytes([number << 3 | 2]) + encode_varint(len(data)) + data


def decode_varint_field(message, number):
    """The varint field `number` of a serialized message (0 when absent)."""
    value, i = 0, 0
    while i < len(message):
        key, shift, tag = 0, 0, 0
        while True:
            byte = message[i]
            i += 1
            key |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        tag, wire = key >> 3, key & 7
        if wire == 0:
            v, shift = 0, 0
            while True:
                byte = message[i]
                i += 1
                v |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
            if tag == number:
                value = v
        elif wire == 2:
            length, shift = 0, 0
            while True:
                byte = message[i]
                i += 1
                length |= (byte & 0x7F) << shift
                shift += 7
                if not byte & 0x80:
                    break
            i += length
        elif wire == 1:
            i += 8
        elif wire == 5:
            i += 4
        else:
            raise TestFailure(f"cannot decode wire type {wire}")
    return value


def unary(port, method, request, timeout):
    """(status code, response bytes) of a raw unary call on a new channel,
    as each kubelet probe opens a new connection."""
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        call = channel.unary_unary(method)  # no serializers: bytes in, bytes out
        try:
            return grpc.StatusCode.OK, call(request, timeout=timeout)
        except grpc.RpcError as error:
            return error.code(), error.details()


def probe_passes(probe, sandbox):
    spec = probe["grpc"]
    request = encode_string_field(1, spec["service"]) if spec.get("service") else b""
    code, response = unary(sandbox.ports[spec["port"]], HEALTH_CHECK, request,
                           probe.get("timeoutSeconds", 1))
    return code == grpc.StatusCode.OK and decode_varint_field(response, 1) == SERVING


def wait_until_started(process, container, sandbox, name):
    """Polls like the kubelet, faster: gives up after the probe's own bound."""
    probe = container.get("startupProbe") or container.get("readinessProbe")
    bound = probe.get("initialDelaySeconds", 0) + \
        probe.get("periodSeconds", 10) * probe.get("failureThreshold", 3)
    deadline = time.monotonic() + bound
    while not probe_passes(probe, sandbox):
        if process.poll() is not None:
            raise TestFailure(f"the server exited with {process.returncode} before its "
                              f"startup probe passed\n{sandbox.output(name)}")
        if time.monotonic() > deadline:
            raise TestFailure(f"startup probe did not pass within {bound}s\n{sandbox.output(name)}")
        time.sleep(POLL_SECONDS)
    for other in ("readinessProbe", "livenessProbe"):
        if other in container and not probe_passes(container[other], sandbox):
            raise TestFailure(f"{other} fails after startup\n{sandbox.output(name)}")
    # The probes must have reached this server, not another process that took
    # the sandbox's port between free_port() and the server's bind: then ours
    # exits (bind failed) without having said where it listens.
    port = sandbox.ports[(container.get("startupProbe") or container["readinessProbe"])
                         ["grpc"]["port"]]
    said = re.compile(rb"^listening on \S*:%d$" % port, re.MULTILINE)
    deadline = time.monotonic() + 10
    while not said.search(sandbox.read(name, "out")):
        if process.poll() is not None or time.monotonic() > deadline:
            raise TestFailure(f"probes passed on port {port}, but the server did not say it "
                              f"listens there\n{sandbox.output(name)}")
        time.sleep(POLL_SECONDS)


def scrape(url, sandbox):
    """The metric families at `url`, parsed by the reference parser."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode()
    except OSError as error:
        raise TestFailure(f"cannot scrape {url}: {error}\n{sandbox.output('server')}")
    return text, list(text_string_to_metric_families(text))


def sample_value(families, name, match=lambda labels: True):
    values = [s.value for family in families for s in family.samples
              if s.name == name and match(s.labels)]
    return values[0] if values else None


def drain(process, container, grace, ports, sandbox, name):
    """SIGTERM with a call in flight: readiness must fail, the call must still
    finish OK, and the process exit 0, all within the grace period.

    The call is an IngestTransactions stream the test holds open: it is in
    flight for exactly as long as the test decides, and holds no database
    lock meanwhile (a long write would also block the store gauges of the
    scrape used to see the call in flight)."""
    release = threading.Event()

    def batches():
        yield b""  # one empty IngestTransactionsRequest: the call has started
        release.wait()
        yield b"\x10\x01"  # IngestTransactionsRequest.last = true: the stream may commit

    with grpc.insecure_channel(f"127.0.0.1:{ports['grpc']}") as channel:
        ingest = channel.stream_unary(INGEST).future(batches(), timeout=grace + 60)
        try:
            deadline = time.monotonic() + 30
            while True:  # poll until the server counts the call as in flight
                _, families = scrape(ports["metrics_url"], sandbox)
                if (sample_value(families, "analytics_rpc_in_flight") or 0) >= 1:
                    break
                if ingest.done() or time.monotonic() > deadline:
                    raise TestFailure(f"could not see IngestTransactions in flight "
                                      f"(done: {ingest.done()})\n{sandbox.output(name)}")
                time.sleep(POLL_SECONDS)
            start = time.monotonic()
            process.send_signal(signal.SIGTERM)
            while probe_passes(container["readinessProbe"], sandbox):
                if time.monotonic() - start > grace:
                    raise TestFailure("the readiness probe still passes after SIGTERM")
                time.sleep(POLL_SECONDS)
        finally:
            release.set()  # close the stream: the server may now finish the call
        try:
            ingest.result()
        except grpc.RpcError as error:
            raise TestFailure(f"the in-flight call was not drained: {error.code()} "
                              f"{error.details()}\n{sandbox.output(name)}")
    try:
        code = process.wait(timeout=max(0.0, grace - (time.monotonic() - start)))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise TestFailure(f"no exit within {grace}s of SIGTERM while draining\n"
                          f"{sandbox.output(name)}")
    if code != 0:
        raise TestFailure(f"exit code {code} after draining\n{sandbox.output(name)}")
    return time.monotonic() - start


def stop(process, seconds, sandbox, name):
    process.send_signal(signal.SIGTERM)
    try:
        code = process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()  # what the kubelet does at the end of the grace period
        process.wait()
        raise TestFailure(f"no exit within terminationGracePeriodSeconds={seconds} after "
                          f"SIGTERM\n{sandbox.output(name)}")
    if code != 0:
        raise TestFailure(f"exit code {code} after SIGTERM, want 0\n{sandbox.output(name)}")


# --- the run --------------------------------------------------------------------------

def run_job(job, spec, sandbox, job_argv, env, server):
    """Runs a Job's container as the Job controller does with restartPolicy
    OnFailure: a failed attempt is retried, up to the Job's backoffLimit
    (bounded here to keep the test short). Each attempt is bounded by
    JOB_ATTEMPT_SECONDS (the seed takes well under a second); a failed
    attempt is logged with its output and the server's, so a CI log shows
    what happened even when a retry succeeds."""
    base = f"job-{job['metadata']['name']}"
    attempts = 1 + min(job["spec"].get("backoffLimit", 6), JOB_RETRIES)
    for attempt in range(1, attempts + 1):
        name = f"{base}-{attempt}"
        log(f"{name}: " + " ".join(shlex.quote(w) for w in job_argv))
        job_process = sandbox.spawn(name, job_argv, env)
        try:
            code = job_process.wait(timeout=JOB_ATTEMPT_SECONDS)
            what = f"exited with {code}"
        except subprocess.TimeoutExpired:
            job_process.kill()
            job_process.wait()
            code, what = None, f"did not finish within {JOB_ATTEMPT_SECONDS}s"
        if code == 0:
            log(f"ok   {name} succeeded")
            return
        alive = "running" if server.poll() is None else f"exited with {server.returncode}"
        report = f"{name} {what} (server {alive})\n{sandbox.output(name)}\n" \
                 f"{sandbox.output('server')}"
        if server.poll() is not None or attempt == attempts:
            raise TestFailure(report)
        log(f"retry {report}")
        time.sleep(1)


def run(args, root):
    objects = render(args.overlay)
    image = final_stage(args.dockerfile)
    deployment = one(objects, "Deployment")
    pod = deployment["spec"]["template"]
    container = server_container(deployment)
    binaries = dict(b.split("=", 1) for b in args.bin)
    sandbox = Sandbox(root, binaries, pod["spec"], container, image)
    log(f"sandbox {root}; ports {sandbox.ports}; user {sandbox.uid}")

    def environment(spec):
        fields = {"metadata.name": deployment["metadata"]["name"] + "-0",
                  "metadata.namespace": deployment["metadata"].get("namespace", "default")}
        env = {"PATH": DOCKER_DEFAULT_PATH, "HOSTNAME": fields["metadata.name"]}
        env.update(image["env"])
        env.update(resolve_env(spec, objects, fields))
        return {key: sandbox.rewrite(value, services) for key, value in env.items()}

    def argv(spec):
        if spec.get("command"):
            words = spec["command"] + spec.get("args", [])
        else:
            words = image["entrypoint"] + spec.get("args", image["cmd"])
        return [words[0]] + [sandbox.rewrite(w, services) for w in words[1:]]

    # The Service, by name and port as clients address it, reaches the pod's
    # targetPort: mapped to the sandbox port behind that targetPort.
    service = next(s for s in of_kind(objects, "Service")
                   if selects(s["spec"]["selector"], pod["metadata"]["labels"]))
    services, target = {}, {}
    for port in service["spec"]["ports"]:
        local = sandbox.ports[container_port(container, port.get("targetPort", port["port"]))]
        services[(service["metadata"]["name"], port["port"])] = local
        target[port["name"]] = local

    server_argv, server_env = argv(container), environment(container)
    log("server: " + " ".join(shlex.quote(w) for w in server_argv))
    for key in sorted(server_env):
        log(f"  {key}={server_env[key]}")
    grace = pod["spec"].get("terminationGracePeriodSeconds", 30)

    process = sandbox.spawn("server", server_argv, server_env)
    try:
        wait_until_started(process, container, sandbox, "server")
        log("ok   startup, readiness and liveness probes pass")

        seeded = False
        for job in of_kind(objects, "Job"):
            for spec in job["spec"]["template"]["spec"]["containers"]:
                run_job(job, spec, sandbox, argv(spec), environment(spec), process)
                seeded = True

        code, kpis = unary(target["grpc"], GET_KPIS, b"", 10)
        if code != grpc.StatusCode.OK:
            raise TestFailure(f"GetKpis through the Service answered {code}: {kpis}")
        if seeded and not kpis:
            raise TestFailure("GetKpis answered an empty response after the demo data Job")
        log(f"ok   GetKpis through Service port grpc -> {len(kpis)} bytes")

        annotations = pod["metadata"].get("annotations", {})
        metrics_port = sandbox.ports[int(annotations["prometheus.io/port"])]
        url = f"http://127.0.0.1:{metrics_port}{annotations.get('prometheus.io/path', '/metrics')}"
        text, families = scrape(url, sandbox)
        counted = sample_value(families, "analytics_rpc_requests_total",
                               lambda labels: "GetKpis" in labels.get("method", "")
                               and labels.get("code") == "OK")
        if counted is None or counted < 1:
            raise TestFailure(f"{url} does not count the GetKpis call:\n{text[:3000]}")
        if target.get("metrics") != metrics_port:
            raise TestFailure("the Service's metrics port and prometheus.io/port differ")
        log(f"ok   {url} counts GetKpis: {counted}")

        stop(process, grace, sandbox, "server")
        log(f"ok   SIGTERM -> exit 0 within {grace}s")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    db = server_env.get("ANALYTICS_DB", "analytics.db")
    db_path = db if os.path.isabs(db) else os.path.join(sandbox.workdir(), db)
    if not db_path.startswith(os.path.join(root, "volumes") + "/"):
        raise TestFailure(f"ANALYTICS_DB {db} is not on a volume")
    if not os.path.isfile(db_path):
        raise TestFailure(f"no database file at {db_path} after shutdown")
    if os.listdir(sandbox.rootfs_workdir):
        raise TestFailure(f"the server wrote to its (read-only) root filesystem: "
                          f"{os.listdir(sandbox.rootfs_workdir)}")
    log(f"ok   database on the volume: {db_path}")

    process = sandbox.spawn("server-restarted", server_argv, server_env)
    try:
        wait_until_started(process, container, sandbox, "server-restarted")
        code, again = unary(target["grpc"], GET_KPIS, b"", 10)
        if code != grpc.StatusCode.OK or again != kpis:
            raise TestFailure(f"after a restart on the same volume GetKpis answered {code} "
                              f"with different data")
        log("ok   restart on the same volume keeps the data")
        took = drain(process, container, grace, {"grpc": target["grpc"], "metrics_url": url},
                     sandbox, "server-restarted")
        log(f"ok   SIGTERM with a call in flight: readiness failed, call drained OK, "
            f"exit 0 after {took:.1f}s (grace {grace}s)")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overlay", required=True)
    parser.add_argument("--dockerfile", required=True)
    parser.add_argument("--bin", action="append", default=[], help="NAME=PATH of a built binary")
    args = parser.parse_args()
    server = dict(b.split("=", 1) for b in args.bin).get("analytics-server", "")
    if not server or not os.path.exists(server):
        log(f"SKIP analytics-server is not built ({server!r})")
        return SKIP
    root = tempfile.mkdtemp(prefix="k8s-run-")
    try:
        run(args, root)
    except (TestFailure, ManifestError) as error:
        log(f"FAIL {args.overlay}: {error}")
        return 1
    finally:
        if os.environ.get("ANALYTICS_KEEP_SANDBOX") != "1":
            shutil.rmtree(root, ignore_errors=True)
    log(f"PASS {args.overlay}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
