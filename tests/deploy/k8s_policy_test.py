#!/usr/bin/python3
"""Checks what the schemas cannot: that the rendered objects fit together and
keep the promises the server and SQLite need.

Usage: k8s_policy_test.py OVERLAY_DIR NAME [OVERLAY_DIR NAME ...]
       (with both "dev" and "production" given, also compares their sizes)

Every violated rule is printed; the exit code is 1 if any was.
"""
import sys

from k8s_manifests import (ManifestError, by_name, container_port, host_port, of_kind, one,
                           quantity, render, resolve_env, selects, server_container)

SERVER_UID = 10001
CLIENT_LABEL = "customer-analytics-client"


class Checker:
    def __init__(self, overlay):
        self.overlay = overlay
        self.failures = []

    def require(self, condition, message):
        if not condition:
            self.failures.append(f"{self.overlay}: {message}")
        return condition


def check_security(check, pod_spec, container, what):
    pod_ctx = pod_spec.get("securityContext", {})
    ctx = container.get("securityContext", {})

    def setting(key):
        return ctx.get(key, pod_ctx.get(key))

    check.require(setting("runAsNonRoot") is True, f"{what}: runAsNonRoot must be true")
    check.require(setting("runAsUser") == SERVER_UID, f"{what}: runAsUser must be {SERVER_UID}")
    check.require(ctx.get("readOnlyRootFilesystem") is True,
                  f"{what}: readOnlyRootFilesystem must be true")
    check.require(ctx.get("allowPrivilegeEscalation") is False,
                  f"{what}: allowPrivilegeEscalation must be false")
    check.require("ALL" in ctx.get("capabilities", {}).get("drop", []),
                  f"{what}: capabilities must drop ALL")
    check.require((setting("seccompProfile") or {}).get("type") == "RuntimeDefault",
                  f"{what}: seccompProfile must be RuntimeDefault")
    resources = container.get("resources", {})
    for bound in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            check.require(resource in resources.get(bound, {}),
                          f"{what}: resources.{bound}.{resource} must be set")


def mount_for(container, pod_spec, path):
    """(volume, mount) whose mountPath holds `path`, longest match."""
    best = None
    for mount in container.get("volumeMounts", []):
        root = mount["mountPath"].rstrip("/")
        if path == root or path.startswith(root + "/"):
            if best is None or len(root) > len(best[1]["mountPath"]):
                volume = next(v for v in pod_spec.get("volumes", []) if v["name"] == mount["name"])
                best = (volume, mount)
    return best


def check_overlay(overlay_dir, name):
    check = Checker(name)
    objects = render(overlay_dir)
    deployment = one(objects, "Deployment")
    spec = deployment["spec"]
    pod = spec["template"]
    pod_spec = pod["spec"]
    labels = pod["metadata"].get("labels", {})
    container = server_container(deployment)
    env = resolve_env(container, objects, {"metadata.name": "pod", "metadata.namespace": "ns"})

    # SQLite has one writer: one pod, and never two at once during a rollout.
    check.require(spec.get("replicas") == 1, "Deployment must run exactly 1 replica")
    check.require(spec.get("strategy", {}).get("type") == "Recreate",
                  "Deployment strategy must be Recreate")
    check.require(selects(spec["selector"]["matchLabels"], labels),
                  "Deployment selector must match its pod labels")

    # The namespace every object lands in exists in the rendering.
    namespaces = [ns["metadata"]["name"] for ns in of_kind(objects, "Namespace")]
    for obj in objects:
        if obj["kind"] != "Namespace":
            check.require(obj["metadata"].get("namespace") in namespaces,
                          f"{obj['kind']}/{obj['metadata']['name']} is not in a rendered Namespace")

    check_security(check, pod_spec, container, "server container")
    grpc_port = container_port(container, "grpc")
    metrics_port = container_port(container, "metrics")
    http_port = container_port(container, "http")

    # Probes: native gRPC health checks on the gRPC port.
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        grpc = container.get(probe, {}).get("grpc")
        if check.require(grpc is not None, f"{probe} must be a grpc probe"):
            check.require(grpc.get("port") == grpc_port,
                          f"{probe} must check port {grpc_port}, not {grpc.get('port')}")

    # Settings agree with the declared ports.
    listen = host_port(env.get("ANALYTICS_LISTEN", ""))
    check.require(listen is not None and listen[1] == grpc_port,
                  f"ANALYTICS_LISTEN {env.get('ANALYTICS_LISTEN')!r} must use port {grpc_port}")
    metrics_listen = host_port(env.get("ANALYTICS_METRICS_LISTEN", ""))
    check.require(metrics_listen is not None and metrics_listen[1] == metrics_port,
                  f"ANALYTICS_METRICS_LISTEN must use the metrics port {metrics_port}")
    http_listen = host_port(env.get("ANALYTICS_HTTP_LISTEN", ""))
    check.require(http_listen is not None and http_listen[1] == http_port,
                  f"ANALYTICS_HTTP_LISTEN must use the http port {http_port}")
    annotations = pod["metadata"].get("annotations", {})
    check.require(annotations.get("prometheus.io/scrape") == "true",
                  "pod must carry prometheus.io/scrape: \"true\"")
    check.require(annotations.get("prometheus.io/port") == str(metrics_port),
                  "prometheus.io/port must name the metrics port")
    check.require(annotations.get("prometheus.io/path") == "/metrics",
                  "prometheus.io/path must be /metrics")

    # Drain: the kubelet's SIGKILL must come after the server's own deadline,
    # with a few seconds left to close the database.
    grace = int(env.get("ANALYTICS_GRACE_PERIOD", "10"))
    termination = pod_spec.get("terminationGracePeriodSeconds", 30)
    check.require(termination >= grace + 5,
                  f"terminationGracePeriodSeconds {termination} must exceed "
                  f"ANALYTICS_GRACE_PERIOD {grace} by at least 5s")

    # Storage: the database on the claim, temporary files on an emptyDir.
    db = env.get("ANALYTICS_DB", "")
    found = mount_for(container, pod_spec, db)
    if check.require(found is not None and "persistentVolumeClaim" in found[0],
                     f"ANALYTICS_DB {db!r} must be on a PersistentVolumeClaim mount"):
        claim = found[0]["persistentVolumeClaim"]["claimName"]
        by_name(objects, "PersistentVolumeClaim", claim)
        check.require(not found[1].get("readOnly"), "the database mount must be writable")
    tmp = mount_for(container, pod_spec, "/tmp")
    check.require(tmp is not None and "emptyDir" in tmp[0] and tmp[1]["mountPath"] == "/tmp",
                  "/tmp must be an emptyDir mount (the root filesystem is read-only)")
    if "TMPDIR" in env:
        check.require(mount_for(container, pod_spec, env["TMPDIR"]) is not None,
                      "TMPDIR must be on a mounted volume")

    # The Service reaches the pod's gRPC and metrics ports by name.
    service = one(objects, "Service")
    check.require(selects(service["spec"]["selector"], labels),
                  "Service selector must match the server pods")
    ports = {p["name"]: p for p in service["spec"]["ports"]}
    if check.require("grpc" in ports and "metrics" in ports,
                     "Service needs ports named grpc and metrics"):
        check.require(ports["grpc"].get("appProtocol") == "grpc", "grpc port needs appProtocol grpc")
        check.require(container_port(container, ports["grpc"]["targetPort"]) == grpc_port,
                      "Service grpc targetPort must reach the gRPC port")
        check.require(container_port(container, ports["metrics"]["targetPort"]) == metrics_port,
                      "Service metrics targetPort must reach the metrics port")
    if check.require("http" in ports, "Service needs a port named http (the HTTP API and dashboard)"):
        check.require(container_port(container, ports["http"]["targetPort"]) == http_port,
                      "Service http targetPort must reach the HTTP port")

    # An Ingress publishes only the Service's http port.
    for ingress in of_kind(objects, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for route in rule["http"]["paths"]:
                backend = route["backend"]["service"]
                check.require(backend["name"] == service["metadata"]["name"] and
                              backend["port"].get("name") == "http",
                              "Ingress must route to the Service's port named http")

    # Jobs (demo data) run the same image, reach the server by its Service, and
    # carry the label the network policy admits.
    for job in of_kind(objects, "Job"):
        job_pod = job["spec"]["template"]
        for job_container in job_pod["spec"]["containers"]:
            what = f"Job {job['metadata']['name']}"
            check_security(check, job_pod["spec"], job_container, what)
            check.require(job_container["image"] == container["image"],
                          f"{what}: must use the server's image {container['image']}")
            targets = [host_port(arg) for arg in job_container.get("args", [])]
            targets = [t for t in targets if t is not None]
            check.require(any(host.split(".")[0] == service["metadata"]["name"] and
                              port == ports.get("grpc", {}).get("port") for host, port in targets),
                          f"{what}: must address the Service's grpc port")
            check.require(job_pod["metadata"].get("labels", {}).get(CLIENT_LABEL) == "true",
                          f"{what}: pods need the {CLIENT_LABEL} label")

    for policy in of_kind(objects, "NetworkPolicy"):
        check.require(selects(policy["spec"]["podSelector"].get("matchLabels", {}), labels),
                      "NetworkPolicy must select the server pods")
        rules = policy["spec"].get("ingress", [])
        grpc_rules = [r for r in rules if any(p.get("port") in (grpc_port, "grpc")
                                               for p in r.get("ports", []))]
        check.require(len(grpc_rules) == 1 and all(
            peer.get("podSelector", {}).get("matchLabels") == {CLIENT_LABEL: "true"}
            and "namespaceSelector" not in peer for peer in grpc_rules[0].get("from", [])),
            f"gRPC ingress must come only from pods labelled {CLIENT_LABEL}=true")
        metrics_rules = [r for r in rules if any(p.get("port") in (metrics_port, "metrics")
                                                  for p in r.get("ports", []))]
        check.require(len(metrics_rules) == 1 and all(
            peer.get("namespaceSelector", {}).get("matchLabels", {})
            .get("kubernetes.io/metadata.name") == "monitoring"
            for peer in metrics_rules[0].get("from", [])),
            "metrics ingress must come from the monitoring namespace")
        http_rules = [r for r in rules if any(p.get("port") in (http_port, "http")
                                               for p in r.get("ports", []))]
        check.require(len(http_rules) <= 1 and all(
            "namespaceSelector" in peer for rule in http_rules for peer in rule.get("from", [])),
            "HTTP ingress, when allowed, must come from the ingress controller's namespace")

    for monitor in of_kind(objects, "ServiceMonitor"):
        check.require(selects(monitor["spec"]["selector"]["matchLabels"],
                              service["metadata"].get("labels", {})),
                      "ServiceMonitor must select the Service")
        for endpoint in monitor["spec"]["endpoints"]:
            check.require(endpoint.get("port") in ports,
                          f"ServiceMonitor endpoint port {endpoint.get('port')} not in Service")

    claim = by_name(objects, "PersistentVolumeClaim",
                    found[0]["persistentVolumeClaim"]["claimName"]) if found else None
    sizes = {
        "storage": quantity(claim["spec"]["resources"]["requests"]["storage"]) if claim else 0,
        "memory": quantity(container["resources"]["limits"]["memory"]),
        "cpu": quantity(container["resources"]["limits"]["cpu"]),
        "kinds": {obj["kind"] for obj in objects},
    }
    return check.failures, sizes


def main(argv):
    if len(argv) < 2 or len(argv) % 2:
        print(__doc__, file=sys.stderr)
        return 2
    failures, sizes = [], {}
    for overlay_dir, name in zip(argv[0::2], argv[1::2]):
        try:
            found, sizes[name] = check_overlay(overlay_dir, name)
            failures += found
        except ManifestError as error:
            failures.append(f"{name}: {error}")
    if "dev" in sizes and "production" in sizes:
        dev, prod = sizes["dev"], sizes["production"]
        for what in ("storage", "memory", "cpu"):
            if not prod[what] > dev[what]:
                failures.append(f"production {what} must be larger than dev's")
        for kind in ("NetworkPolicy", "ServiceMonitor"):
            if kind not in prod["kinds"]:
                failures.append(f"production must include a {kind}")
        if "Job" in prod["kinds"]:
            failures.append("production must not seed demo data")
    for failure in failures:
        print("FAIL", failure)
    if not failures:
        print("ok", ", ".join(sizes))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
