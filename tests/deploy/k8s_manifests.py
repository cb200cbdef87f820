"""Reading rendered Kubernetes manifests the way the cluster would.

Shared by k8s_policy_test.py and k8s_run_test.py: renders a kustomize folder
with `kubectl kustomize` (offline), finds objects, resolves a container's
environment from env/envFrom and ConfigMaps as the kubelet does, and parses
resource quantities. Python standard library plus Debian's python3-yaml.
"""
import base64
import re
import subprocess

import yaml


class ManifestError(Exception):
    """The manifests are not what the tests (or the cluster) can use."""


def render(kustomize_dir):
    """Objects rendered from `kustomize_dir`, in kustomize's order."""
    result = subprocess.run(["kubectl", "kustomize", kustomize_dir],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ManifestError(f"kubectl kustomize {kustomize_dir} failed:\n{result.stderr}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc is not None]


def of_kind(objects, kind):
    return [obj for obj in objects if obj.get("kind") == kind]


def one(objects, kind):
    found = of_kind(objects, kind)
    if len(found) != 1:
        raise ManifestError(f"expected exactly one {kind}, found {len(found)}")
    return found[0]


def by_name(objects, kind, name):
    for obj in of_kind(objects, kind):
        if obj["metadata"]["name"] == name:
            return obj
    raise ManifestError(f"{kind} {name!r} is referenced but not rendered")


def server_container(deployment):
    """The container serving gRPC: the one with a port named "grpc"."""
    containers = [c for c in deployment["spec"]["template"]["spec"]["containers"]
                  if any(p.get("name") == "grpc" for p in c.get("ports", []))]
    if len(containers) != 1:
        raise ManifestError("expected one container with a port named grpc")
    return containers[0]


def container_port(container, name_or_number):
    """Resolves a named or numbered port of `container` to its number."""
    for port in container.get("ports", []):
        if port.get("name") == name_or_number or port["containerPort"] == name_or_number:
            return port["containerPort"]
    raise ManifestError(f"container {container['name']} has no port {name_or_number!r}")


def selects(selector, labels):
    return all(labels.get(key) == value for key, value in selector.items())


def _expand(value, env):
    # The kubelet expands $(VAR) from variables defined earlier; $$ escapes.
    def replace(match):
        if match.group(0) == "$$":
            return "$"
        name = match.group(1)
        return env.get(name, match.group(0))
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)", replace, value)


def resolve_env(container, objects, pod_fields):
    """The container's environment as the kubelet builds it: envFrom first,
    then env (which wins), ConfigMap and Secret references resolved from the
    rendered objects (a test adds the Secrets a cluster would hold).
    `pod_fields` answers fieldRef paths such as metadata.name."""
    env = {}
    for source in container.get("envFrom", []):
        prefix = source.get("prefix", "")
        if "configMapRef" in source:
            ref = source["configMapRef"]
            try:
                data = by_name(objects, "ConfigMap", ref["name"]).get("data", {})
            except ManifestError:
                if ref.get("optional"):
                    continue
                raise
            for key, value in data.items():
                env[prefix + key] = value
        else:
            raise ManifestError(f"unsupported envFrom source {source}")
    for entry in container.get("env", []):
        name = entry["name"]
        if "value" in entry:
            env[name] = _expand(entry["value"], env)
        elif "valueFrom" in entry:
            source = entry["valueFrom"]
            if "configMapKeyRef" in source:
                ref = source["configMapKeyRef"]
                data = by_name(objects, "ConfigMap", ref["name"]).get("data", {})
                if ref["key"] in data:
                    env[name] = data[ref["key"]]
                elif not ref.get("optional"):
                    raise ManifestError(f"ConfigMap {ref['name']} has no key {ref['key']}")
            elif "secretKeyRef" in source:
                ref = source["secretKeyRef"]
                secret = by_name(objects, "Secret", ref["name"])
                if ref["key"] in secret.get("stringData", {}):
                    env[name] = secret["stringData"][ref["key"]]
                elif ref["key"] in secret.get("data", {}):
                    env[name] = base64.b64decode(secret["data"][ref["key"]]).decode()
                elif not ref.get("optional"):
                    raise ManifestError(f"Secret {ref['name']} has no key {ref['key']}")
            elif "fieldRef" in source:
                path = source["fieldRef"]["fieldPath"]
                if path not in pod_fields:
                    raise ManifestError(f"no stand-in value for fieldRef {path}")
                env[name] = pod_fields[path]
            else:
                raise ManifestError(f"unsupported valueFrom {source}")
        else:
            env[name] = ""
    return env


_QUANTITY_SUFFIXES = {
    "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
    "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "m": 10**-3, "": 1,
}


def quantity(text):
    """A resource quantity ("512Mi", "500m", "2") as a number."""
    match = re.fullmatch(r"([0-9.]+)(Ki|Mi|Gi|Ti|k|M|G|T|m|)", str(text))
    if not match:
        raise ManifestError(f"unsupported quantity {text!r}")
    return float(match.group(1)) * _QUANTITY_SUFFIXES[match.group(2)]


def host_port(value):
    """(host, port) for "HOST:PORT" / "[V6]:PORT" strings, else None."""
    match = re.fullmatch(r"(\[[^\]]*\]|[^\s:/\[\]]*):([0-9]{1,5})", value)
    return (match.group(1), int(match.group(2))) if match else None
