#!/usr/bin/python3
"""Checks the high-availability overlay (overlays/ha, components/postgres):
what a rolling update without downtime over PostgreSQL needs and the
schemas cannot tell.

Usage: k8s_ha_test.py OVERLAY_DIR

Every violated rule is printed; the exit code is 1 if any was.
"""
import sys

from k8s_manifests import ManifestError, of_kind, one, render, selects, server_container


def check(objects):
    failures = []

    def require(condition, message):
        if not condition:
            failures.append(message)

    deployment = one(objects, "Deployment")
    spec = deployment["spec"]
    pod_labels = spec["template"]["metadata"]["labels"]
    replicas = spec.get("replicas", 1)
    require(replicas >= 3, f"replicas must be at least 3, is {replicas}")
    strategy = spec.get("strategy", {})
    require(strategy.get("type") == "RollingUpdate", "strategy must be RollingUpdate")
    require(strategy.get("rollingUpdate", {}).get("maxUnavailable") == 0,
            "rollingUpdate.maxUnavailable must be 0: a rollout never drops a ready replica")
    require(strategy.get("rollingUpdate", {}).get("maxSurge", 0) not in (0, "0%"),
            "rollingUpdate.maxSurge must be above 0, or a rollout with maxUnavailable 0 stalls")

    pdbs = of_kind(objects, "PodDisruptionBudget")
    require(len(pdbs) == 1, "one PodDisruptionBudget")
    for pdb in pdbs:
        require(selects(pdb["spec"]["selector"]["matchLabels"], pod_labels),
                "the PodDisruptionBudget must select the server's pods")
        min_available = pdb["spec"].get("minAvailable")
        require(isinstance(min_available, int) and 0 < min_available < replicas,
                "minAvailable must leave room to evict one pod and keep more than none")

    pod = spec["template"]["spec"]
    spread = pod.get("topologySpreadConstraints", [])
    require(any(c.get("topologyKey") == "kubernetes.io/hostname"
                and c.get("whenUnsatisfiable") == "DoNotSchedule"
                and selects(c["labelSelector"]["matchLabels"], pod_labels) for c in spread),
            "replicas must be spread over nodes (hostname, DoNotSchedule)")

    container = server_container(deployment)
    env = {e["name"]: e for e in container.get("env", [])}
    db = env.get("ANALYTICS_DB", {})
    secret = db.get("valueFrom", {}).get("secretKeyRef", {})
    require(secret.get("name") and secret.get("key") == "uri",
            "ANALYTICS_DB must come from a Secret's `uri` (never a literal DSN)")
    require(not of_kind(objects, "PersistentVolumeClaim"),
            "no PersistentVolumeClaim: replicas must not share or wait for a volume")
    require(all("persistentVolumeClaim" not in v for v in pod.get("volumes", [])),
            "no volume may reference a claim")
    require("grpc" in container.get("readinessProbe", {}),
            "readiness must be the gRPC health check (SERVING once caught up)")
    grace = pod.get("terminationGracePeriodSeconds", 30)
    require(grace >= 15, "terminationGracePeriodSeconds must cover the drain")
    return failures


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        failures = check(render(sys.argv[1]))
    except (ManifestError, KeyError) as error:
        failures = [f"cannot read the manifests: {error}"]
    for failure in failures:
        print(f"{sys.argv[1]}: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
