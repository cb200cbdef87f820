#!/usr/bin/python3
"""Runs the built container image the way a rendered overlay tells the
kubelet to, and makes the checks k8s_run_test.py makes against the bare
binary, now against the image.

Usage: image_run_test.py --image REF --overlay DIR

No container engine with a runtime works here (podman's crun fails), so each
container of the pod is `buildah run --isolation chroot` of a fresh working
container of the image, which shares the host's network: container ports are
mapped to free local ports as in k8s_run_test.py. From the image itself
(buildah inspect: Entrypoint, Cmd, Env, User, Labels) and the overlay's
Deployment it builds the server's argv and environment, then:
  1. the image: exec-form entrypoint /usr/local/bin/analytics-server, user
     10001:10001, the OCI labels version, revision, source and licenses;
  2. starts the server as uid:gid 10001:10001 with every capability dropped,
     each volumeMount a host folder owned by that user (the data volume and
     /tmp are the only writable places) and no shell in the container (its
     /bin/sh, dash and bash removed): the startup probe must report SERVING
     within its own bound, then readiness and liveness;
  3. runs the demo-data Job's command in its own container of the image;
  4. runs `analytics-cli kpis` inside the image against the server;
  5. GetKpis through the Service's port, counted by the metrics endpoint;
  6. SIGTERM: exit 0 within terminationGracePeriodSeconds, the database on
     the data volume, and nothing written to the container's root filesystem
     (its overlay upper layer holds only what buildah itself adds);
  7. restarts on the same volume (same GetKpis answer), then drains: with a
     stream held open, SIGTERM turns readiness failing, the call completes OK
     and the server exits 0 within the grace period.
Must run as root (buildah). Exit 77 (ctest: skipped) when buildah is missing
or the image does not exist (build it with `make image`).
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import k8s_run_test as k8s  # noqa: E402 (sets gRPC's fork support before grpc loads)
from k8s_manifests import (ManifestError, container_port, of_kind, one, render,  # noqa: E402
                           resolve_env, selects, server_container)

SKIP = 77
TestFailure = k8s.TestFailure
log = k8s.log
LABELS = ("version", "revision", "source", "licenses")
SHELLS = ("bin/sh", "bin/dash", "bin/bash", "usr/bin/sh", "usr/bin/dash", "usr/bin/bash")
# What `buildah run` itself leaves in a container's upper layer (the files it
# bind-mounts over, their folders), besides the volumes' mount points and the
# removed shells' whiteouts.
BUILDAH_OWN = {"etc", "etc/hosts", "etc/hostname", "etc/resolv.conf", "run", "run/.containerenv",
               "run/secrets", "usr", "usr/bin", "bin"}


def buildah(*args, check=True):
    result = subprocess.run(["buildah", *args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise TestFailure(f"buildah {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout.strip()


def image_config(ref):
    """The image's OCI config as a container runtime reads it."""
    config = json.loads(buildah("inspect", "--type", "image", ref))["OCIv1"]["config"]
    env = dict(e.split("=", 1) for e in config.get("Env", []))
    return {"entrypoint": config.get("Entrypoint") or [], "cmd": config.get("Cmd") or [],
            "env": env, "workdir": config.get("WorkingDir") or "/",
            "user": config.get("User", ""), "labels": config.get("Labels") or {},
            "volumes": sorted(config.get("Volumes") or {})}


def upper_dir(mount_point):
    """The overlay upper layer under a mounted working container."""
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if fields[4] == mount_point:
                for option in line.split(" - ", 1)[1].split()[-1].split(","):
                    if option.startswith("upperdir="):
                        return option[len("upperdir="):]
    return None


class ContainerProcess:
    """A `buildah run` as the kubelet sees its container: signals go to the
    command itself (buildah does not forward them: on SIGTERM it kills the
    command), the exit code is the command's (buildah passes it on)."""

    def __init__(self, process):
        self.process = process

    def command_pid(self):
        """The command: the child of buildah's chroot exec helper, found
        among this buildah's own descendants."""
        children = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", encoding="utf-8") as f:
                        ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                except (OSError, ValueError, IndexError):
                    continue
                children.setdefault(ppid, []).append(int(entry))
        queue = [self.process.pid]
        while queue:
            pid = queue.pop(0)
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    name = f.read().split(b"\0")[0]
            except OSError:
                continue
            if name == b"buildah-chroot-exec":
                found = children.get(pid, [])
                return found[0] if found else None
            queue.extend(children.get(pid, []))
        return None

    def send_signal(self, sig):
        pid = self.command_pid()
        if pid is None:
            raise TestFailure(f"no command process under buildah run {self.process.pid} "
                              f"to send signal {sig} to")
        os.kill(pid, sig)

    def kill(self):
        pid = self.command_pid()
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.kill()

    def wait(self, timeout=None):
        return self.process.wait(timeout=timeout)

    def poll(self):
        return self.process.poll()

    @property
    def returncode(self):
        return self.process.returncode

    @property
    def pid(self):
        return self.process.pid


class ImageSandbox(k8s.Sandbox):
    """k8s_run_test's sandbox with the image standing in for the binaries:
    each spawn is `buildah run` of its own working container, volumes are
    bind mounts at their real mountPaths (so paths need no rewriting), ports
    are the host's (chroot isolation shares the network namespace)."""

    def __init__(self, root, ref, pod_spec, container, image):
        super().__init__(root, {}, pod_spec, container, image)
        if self.uid is None:
            raise TestFailure("must run as root: buildah needs it")
        self.ref = ref
        self.containers = {}  # spawn name -> (working container, its mount point)

    def path(self, value):
        return None  # inside the container every path is the real one

    def workdir(self):
        return self.image["workdir"]

    def host_path(self, value):
        return super().path(value)

    def working_container(self, name, without_shell=False):
        ctr = buildah("from", "--pull=never", "--name", f"image-run-{os.getpid()}-{name}", self.ref)
        # `buildah run` mounts an anonymous volume at each of the image's
        # VOLUMEs as well as the --volume bind mount at the same path, in
        # varying order: the server then writes to either. The pod mounts its
        # claim there, so the working container drops the image's VOLUMEs
        # that a volumeMount covers (the image itself is unchanged).
        for volume in self.image["volumes"]:
            if volume.rstrip("/") in self.mounts:
                buildah("config", "--volume", volume.rstrip("/") + "-", ctr)
        mount_point = buildah("mount", ctr)
        self.containers[name] = (ctr, mount_point)
        if without_shell:  # in this container only: the image keeps its shell
            for shell in SHELLS:
                path = os.path.join(mount_point, shell)
                if os.path.lexists(path):
                    os.unlink(path)
        return ctr

    def spawn(self, name, argv, env, without_shell=False):
        ctr = self.working_container(name, without_shell)
        command = ["buildah", "run", "--isolation", "chroot", "--cap-drop", "all",
                   "--user", f"{self.uid}:{self.gid}", "--workingdir", self.workdir()]
        for mount_path, host in self.mounts.items():
            command += ["--volume", f"{host}:{mount_path}"]
        for key, value in sorted(env.items()):
            command += ["--env", f"{key}={value}"]
        command += [ctr, "--", *argv]
        out = open(os.path.join(self.logs, name + ".out"), "wb")
        err = open(os.path.join(self.logs, name + ".err"), "wb")
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        out.close()
        err.close()
        return ContainerProcess(process)

    def written_to_root(self, name):
        """Files the run added or changed in the container's root filesystem,
        outside the volumes and what buildah adds itself."""
        ctr, mount_point = self.containers[name]
        upper = upper_dir(mount_point)
        if upper is None:
            raise TestFailure(f"cannot find the overlay upper layer of {ctr} at {mount_point}")
        written = []
        for folder, dirs, files in os.walk(upper):
            for entry in dirs + files:
                relative = os.path.relpath(os.path.join(folder, entry), upper)
                if relative in BUILDAH_OWN or relative in SHELLS:
                    continue
                mounts = [m.strip("/") for m in self.mounts]
                if any(relative == m or m.startswith(relative + "/") or
                       relative.startswith(m + "/") for m in mounts):
                    continue
                written.append(relative)
        return written

    def remove(self):
        for ctr, _ in self.containers.values():
            buildah("rm", ctr, check=False)
        self.containers.clear()


def check_image(image):
    failures = []
    if image["entrypoint"] != ["/usr/local/bin/analytics-server"]:
        failures.append(f"Entrypoint {image['entrypoint']}, want the exec form "
                        "['/usr/local/bin/analytics-server'] (no shell)")
    if image["user"] != "10001:10001":
        failures.append(f"User {image['user']!r}, want 10001:10001")
    for label in LABELS:
        value = image["labels"].get(f"org.opencontainers.image.{label}", "")
        if not value or value == "unknown":
            failures.append(f"label org.opencontainers.image.{label} is {value!r}")
    if failures:
        raise TestFailure("; ".join(failures))
    labels = ", ".join(f"{label}={image['labels'][f'org.opencontainers.image.{label}']}"
                       for label in LABELS)
    log(f"ok   image: entrypoint {image['entrypoint']}, user {image['user']}, {labels}")


def wait_ok(sandbox, name, process, seconds):
    try:
        code = process.wait(timeout=seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        raise TestFailure(f"{name} did not finish within {seconds}s\n{sandbox.output(name)}")
    if code != 0:
        raise TestFailure(f"{name} exited with {code}\n{sandbox.output(name)}")
    return sandbox.read(name, "out").decode("utf-8", "replace")


def run(args, root):
    objects = render(args.overlay)
    image = image_config(args.image)
    check_image(image)
    deployment = one(objects, "Deployment")
    pod = deployment["spec"]["template"]
    container = server_container(deployment)
    sandbox = ImageSandbox(root, args.image, pod["spec"], container, image)
    try:
        run_pod(objects, image, deployment, pod, container, sandbox)
    finally:
        sandbox.remove()


def run_pod(objects, image, deployment, pod, container, sandbox):
    log(f"image {sandbox.ref}; ports {sandbox.ports}; user {sandbox.uid}:{sandbox.gid}; "
        f"volumes {sandbox.mounts}")

    def environment(spec):
        fields = {"metadata.name": deployment["metadata"]["name"] + "-0",
                  "metadata.namespace": deployment["metadata"].get("namespace", "default")}
        env = {"HOSTNAME": fields["metadata.name"]}
        env.update(image["env"])
        env.update(resolve_env(spec, objects, fields))
        return {key: sandbox.rewrite(value, services) for key, value in env.items()}

    def argv(spec):
        if spec.get("command"):
            words = spec["command"] + spec.get("args", [])
        else:
            words = image["entrypoint"] + spec.get("args", image["cmd"])
        return [words[0]] + [sandbox.rewrite(w, services) for w in words[1:]]

    service = next(s for s in of_kind(objects, "Service")
                   if selects(s["spec"]["selector"], pod["metadata"]["labels"]))
    services, target = {}, {}
    for port in service["spec"]["ports"]:
        local = sandbox.ports[container_port(container, port.get("targetPort", port["port"]))]
        services[(service["metadata"]["name"], port["port"])] = local
        target[port["name"]] = local

    server_argv, server_env = argv(container), environment(container)
    log("server: " + " ".join(server_argv))
    grace = pod["spec"].get("terminationGracePeriodSeconds", 30)

    process = sandbox.spawn("server", server_argv, server_env, without_shell=True)
    try:
        k8s.wait_until_started(process, container, sandbox, "server")
        log("ok   in the image, without a shell, as 10001: startup, readiness and liveness "
            "probes report SERVING")

        jobs = 0
        for job in of_kind(objects, "Job"):
            for spec in job["spec"]["template"]["spec"]["containers"]:
                k8s.run_job(job, spec, sandbox, argv(spec), environment(spec), process)
                jobs += 1
        if not jobs:
            raise TestFailure("the overlay has no Job (the demo-data seed): use the dev overlay")

        cli = sandbox.spawn("cli-kpis", ["analytics-cli", "--server",
                                         f"127.0.0.1:{target['grpc']}", "--json", "kpis"],
                            {"PATH": k8s.DOCKER_DEFAULT_PATH})
        kpis_text = wait_ok(sandbox, "cli-kpis", cli, 60)
        try:
            orders = int(json.loads(kpis_text).get("current", {}).get("orders", 0))
        except (ValueError, AttributeError) as error:
            raise TestFailure(f"analytics-cli --json kpis printed no JSON object ({error}):\n"
                              f"{kpis_text[:2000]}")
        if orders < 1:
            raise TestFailure(f"analytics-cli kpis in the image counts no orders after the "
                              f"demo-data Job:\n{kpis_text[:2000]}")
        log(f"ok   analytics-cli kpis inside the image: {orders} orders")

        code, kpis = k8s.unary(target["grpc"], k8s.GET_KPIS, b"", 10)
        if code != k8s.grpc.StatusCode.OK or not kpis:
            raise TestFailure(f"GetKpis through the Service answered {code}: {kpis!r}")
        annotations = pod["metadata"].get("annotations", {})
        metrics_port = sandbox.ports[int(annotations["prometheus.io/port"])]
        url = f"http://127.0.0.1:{metrics_port}{annotations.get('prometheus.io/path', '/metrics')}"
        text, families = k8s.scrape(url, sandbox)
        counted = k8s.sample_value(families, "analytics_rpc_requests_total",
                                   lambda labels: "GetKpis" in labels.get("method", "")
                                   and labels.get("code") == "OK")
        if counted is None or counted < 1:
            raise TestFailure(f"{url} does not count the GetKpis call:\n{text[:3000]}")
        log(f"ok   GetKpis through Service port grpc -> {len(kpis)} bytes; {url} counts it")

        k8s.stop(process, grace, sandbox, "server")
        log(f"ok   SIGTERM -> exit 0 within {grace}s")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    db = server_env.get("ANALYTICS_DB", "analytics.db")
    host_db = sandbox.host_path(db if os.path.isabs(db) else os.path.join(image["workdir"], db))
    if host_db is None or not os.path.isfile(host_db):
        raise TestFailure(f"ANALYTICS_DB {db} is not a file on a volume after shutdown")
    written = sandbox.written_to_root("server")
    if written:
        raise TestFailure(f"the server wrote to its root filesystem: {sorted(written)[:20]}")
    log(f"ok   database on the data volume ({host_db}); root filesystem untouched")

    process = sandbox.spawn("server-restarted", server_argv, server_env)
    try:
        k8s.wait_until_started(process, container, sandbox, "server-restarted")
        code, again = k8s.unary(target["grpc"], k8s.GET_KPIS, b"", 10)
        if code != k8s.grpc.StatusCode.OK or again != kpis:
            raise TestFailure(f"after a restart on the same volume GetKpis answered {code} "
                              f"with different data")
        log("ok   restart on the same volume keeps the data")
        took = k8s.drain(process, container, grace,
                         {"grpc": target["grpc"], "metrics_url": url}, sandbox,
                         "server-restarted")
        log(f"ok   SIGTERM with a call in flight: readiness failed, call drained OK, "
            f"exit 0 after {took:.1f}s (grace {grace}s)")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", required=True)
    parser.add_argument("--overlay", required=True)
    args = parser.parse_args()
    if shutil.which("buildah") is None:
        log("SKIP buildah is not installed (scripts/install-image-deps.sh)")
        return SKIP
    if subprocess.run(["buildah", "inspect", "--type", "image", args.image],
                      capture_output=True).returncode != 0:
        log(f"SKIP image {args.image} does not exist (make image)")
        return SKIP
    root = tempfile.mkdtemp(prefix="image-run-")
    try:
        run(args, root)
    except (TestFailure, ManifestError) as error:
        log(f"FAIL {args.image}: {error}")
        return 1
    finally:
        if os.environ.get("ANALYTICS_KEEP_SANDBOX") != "1":
            shutil.rmtree(root, ignore_errors=True)
    log(f"PASS {args.image} ({args.overlay})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
