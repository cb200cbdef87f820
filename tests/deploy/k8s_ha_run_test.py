#!/usr/bin/python3
"""Runs the high-availability overlay (overlays/ha) the way the kubelet
would, on one local PostgreSQL, and rolls it.

Usage: k8s_ha_run_test.py --overlay DIR --dockerfile deploy/Dockerfile
                          --bin analytics-server=PATH

Starts a PostgreSQL 15 in a temporary folder on a free loopback port (as
the postgres user when run as root), stands in the Secret the overlay reads
its DSN from (customer-analytics-pg-app, key uri), and starts the rendered
Deployment's replicas (k8s_run_test.py's sandbox: the container's argv and
environment as the kubelet builds them, ports mapped to free local ones).
Every replica must pass its probes. Then:
  1. a write through replica 0 (SeedDemoData) carries a consistency token,
     and every other replica answers GetKpis with that token exactly as
     replica 0 does;
  2. a rolling update, one replica at a time as RollingUpdate with
     maxUnavailable 0 does it (SIGTERM, exit 0 within the grace period, a
     new process on the same ports passing its probes), under read load
     from a client balancing over every replica (round_robin, health
     checks, retries on UNAVAILABLE and CANCELLED, as the C++ client
     library's CreateReplicaChannel): 0 failed calls, counted;
  3. after the roll every replica still answers as replica 0 did.
Exit 77 (ctest: skipped) when analytics-server or PostgreSQL 15 is missing.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

os.environ["GRPC_ENABLE_FORK_SUPPORT"] = "false"  # k8s_run_test.py says why

import grpc  # noqa: E402

from k8s_manifests import of_kind, one, render, resolve_env, server_container  # noqa: E402
from k8s_run_test import (DOCKER_DEFAULT_PATH, GET_KPIS, SKIP, Sandbox, TestFailure,  # noqa: E402
                          encode_varint, final_stage, free_port, log, stop, wait_until_started)

PG_BIN = "/usr/lib/postgresql/15/bin"
SEED = "/customer_analytics.v1.AnalyticsService/SeedDemoData"
READS_PER_STEP = 300


def as_postgres(argv):
    return (["runuser", "-u", "postgres", "--"] + argv) if os.geteuid() == 0 else argv


class Postgres:
    def __init__(self, root):
        self.dir = os.path.join(root, "pg")
        os.makedirs(self.dir)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
            os.chmod(root, 0o755)
        self.port = free_port()
        subprocess.run(as_postgres([f"{PG_BIN}/initdb", "-D", f"{self.dir}/data", "-A", "trust",
                                    "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale", "C"]),
                       check=True, capture_output=True)
        self.ctl("start")
        subprocess.run([f"{PG_BIN}/psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(self.port),
                        "-U", "postgres", "-c", "CREATE DATABASE analytics", "postgres"],
                       check=True, capture_output=True)
        self.dsn = f"postgresql://postgres@127.0.0.1:{self.port}/analytics"

    def ctl(self, command):
        subprocess.run(as_postgres([f"{PG_BIN}/pg_ctl", "-D", f"{self.dir}/data", "-l",
                                    f"{self.dir}/log", "-w", "-m", "fast", "-o",
                                    f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1",
                                    command]), check=True, capture_output=True)


def read_varint(message, i):
    """(value, next index) of the varint at message[i]."""
    value, shift = 0, 0
    while True:
        byte = message[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, i


def string_field(message, number):
    """The first length-delimited field `number` of a serialized message
    (k8s_run_test.decode_varint_field reads varint fields only)."""
    i = 0
    while i < len(message):
        key, i = read_varint(message, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, i = read_varint(message, i)
        elif wire == 2:
            length, i = read_varint(message, i)
            if field == number:
                return message[i:i + length].decode()
            i += length
        else:
            raise TestFailure(f"unexpected wire type {wire}")
    return ""


def call(port, method, request, metadata=()):
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        return channel.unary_unary(method)(request, timeout=30, metadata=metadata)


def run(args, root):
    objects = render(args.overlay)
    image = final_stage(args.dockerfile)
    deployment = one(objects, "Deployment")
    pod = deployment["spec"]["template"]
    container = server_container(deployment)
    replicas = deployment["spec"].get("replicas", 1)
    if replicas < 2:
        raise TestFailure(f"the overlay runs {replicas} replica(s); this test needs 2 or more")
    grace = pod["spec"].get("terminationGracePeriodSeconds", 30)
    postgres = Postgres(root)
    log(f"PostgreSQL on 127.0.0.1:{postgres.port}")
    try:
        secret_name = next(e["valueFrom"]["secretKeyRef"]["name"] for e in container["env"]
                           if e["name"] == "ANALYTICS_DB")
        objects.append({"apiVersion": "v1", "kind": "Secret",
                        "metadata": {"name": secret_name}, "stringData": {"uri": postgres.dsn}})
        binaries = dict(b.split("=", 1) for b in args.bin)
        sandboxes, processes, specs = [], [], []
        for index in range(replicas):
            os.makedirs(os.path.join(root, f"replica-{index}"))
            sandbox = Sandbox(os.path.join(root, f"replica-{index}"), binaries, pod["spec"],
                              container, image)
            fields = {"metadata.name": f"{deployment['metadata']['name']}-{index}",
                      "metadata.namespace": deployment["metadata"].get("namespace", "default")}
            env = {"PATH": DOCKER_DEFAULT_PATH, "HOSTNAME": fields["metadata.name"]}
            env.update(image["env"])
            env.update(resolve_env(container, objects, fields))
            env = {key: sandbox.rewrite(value) for key, value in env.items()}
            if env.get("ANALYTICS_DB") != postgres.dsn:
                raise TestFailure(f"ANALYTICS_DB is {env.get('ANALYTICS_DB')!r}, not the Secret's")
            words = container.get("command") or image["entrypoint"]
            words = words + container.get("args", [] if container.get("command") else image["cmd"])
            argv = [words[0]] + [sandbox.rewrite(w) for w in words[1:]]
            sandboxes.append(sandbox)
            specs.append((argv, env))
        for index, sandbox in enumerate(sandboxes):
            processes.append(sandbox.spawn(f"server-{index}", *specs[index]))
            wait_until_started(processes[index], container, sandbox, f"server-{index}")
        log(f"ok   {replicas} replicas started; every probe passes")
        grpc_port = next(p["containerPort"] for p in container["ports"] if p["name"] == "grpc")
        ports = [sandbox.ports[grpc_port] for sandbox in sandboxes]

        seed = encode_varint(1 << 3) + encode_varint(7) + encode_varint(2 << 3) + \
            encode_varint(3000)
        reply = call(ports[0], SEED, seed)
        token = string_field(reply, 7)
        if not token:
            raise TestFailure("SeedDemoData through replica 0 carried no consistency_token")
        truth = call(ports[0], GET_KPIS, b"")
        for index, port in enumerate(ports[1:], start=1):
            if call(port, GET_KPIS, b"", (("x-consistency-token", token),)) != truth:
                raise TestFailure(f"replica {index} with the write's token answers differently")
        log(f"ok   a write through replica 0 is read on every replica with its token {token}")

        config = {"loadBalancingConfig": [{"round_robin": {}}],
                  "healthCheckConfig": {"serviceName": ""},
                  "methodConfig": [{"name": [{"service": "customer_analytics.v1.AnalyticsService"}],
                                    "retryPolicy": {"maxAttempts": 5, "initialBackoff": "0.05s",
                                                    "maxBackoff": "1s", "backoffMultiplier": 2,
                                                    "retryableStatusCodes": ["UNAVAILABLE",
                                                                             "CANCELLED"]}}]}
        target = "ipv4:" + ",".join(f"127.0.0.1:{port}" for port in ports)
        channel = grpc.insecure_channel(target, options=[
            ("grpc.service_config", json.dumps(config)), ("grpc.enable_retries", 1)])
        kpis = channel.unary_unary(GET_KPIS)
        lock = threading.Condition()
        counts = {"calls": 0, "failed": 0, "wrong": 0}
        done = threading.Event()
        errors = []

        def read_loop():
            while not done.is_set():
                try:
                    answer = kpis(b"", timeout=30)
                    wrong = answer != truth
                    failed = False
                except grpc.RpcError as error:
                    failed, wrong = True, False
                    errors.append(f"{error.code()} {error.details()}")
                with lock:
                    counts["calls"] += 1
                    counts["failed"] += failed
                    counts["wrong"] += wrong
                    lock.notify_all()

        def wait_for_calls(more):
            with lock:
                goal = counts["calls"] + more
                lock.wait_for(lambda: counts["calls"] >= goal, timeout=120)

        readers = [threading.Thread(target=read_loop) for _ in range(4)]
        for reader in readers:
            reader.start()
        try:
            wait_for_calls(READS_PER_STEP)
            for index, sandbox in enumerate(sandboxes):
                stop(processes[index], grace, sandbox, f"server-{index}")
                wait_for_calls(READS_PER_STEP)
                processes[index] = sandbox.spawn(f"server-{index}-rolled", *specs[index])
                wait_until_started(processes[index], container, sandbox, f"server-{index}-rolled")
                wait_for_calls(READS_PER_STEP)
                log(f"ok   replica {index} rolled")
        finally:
            done.set()
            for reader in readers:
                reader.join()
            channel.close()
        log(f"rolling update under load: {counts['calls']} calls, {counts['failed']} failed, "
            f"{counts['wrong']} with another answer")
        if counts["failed"] or counts["wrong"]:
            raise TestFailure(f"calls failed during the roll: {errors[:5]}")
        for index, port in enumerate(ports):
            if call(port, GET_KPIS, b"") != truth:
                raise TestFailure(f"replica {index} answers differently after the roll")
        log("ok   every replica answers as before after the roll")
        for index, sandbox in enumerate(sandboxes):
            stop(processes[index], grace, sandbox, f"server-{index}")
    finally:
        for process in locals().get("processes", []):
            if process.poll() is None:
                process.kill()
                process.wait()
        postgres.ctl("stop")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--overlay", required=True)
    parser.add_argument("--dockerfile", required=True)
    parser.add_argument("--bin", action="append", default=[], help="NAME=PATH of a built binary")
    args = parser.parse_args()
    binaries = dict(b.split("=", 1) for b in args.bin)
    if not binaries.get("analytics-server") or not os.path.exists(f"{PG_BIN}/initdb"):
        print("analytics-server or PostgreSQL 15 missing: skipped")
        return SKIP
    root = tempfile.mkdtemp(prefix="k8s-ha-run-")
    try:
        run(args, root)
    except TestFailure as failure:
        print(f"FAIL {failure}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
