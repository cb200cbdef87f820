#!/usr/bin/python3
"""Pins an overlay's image by digest, so the cluster runs the bytes that were
tested: sets `digest:` (and `newName:`, and `newTag:` to the version for
readers) on the kustomization's `images:` entry named customer-analytics,
keeping the file's comments and order, then renders the overlay to check that
the Deployment and every Job name REPO:TAG@DIGEST.

Usage: image-pin-digest.py KUSTOMIZATION_DIR REPO TAG DIGEST
"""
import re
import subprocess
import sys

import yaml

NAME = "customer-analytics"


def main():
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    folder, repo, tag, digest = sys.argv[1:]
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", digest):
        print(f"digest: want sha256:<64 hex digits>, got {digest!r}", file=sys.stderr)
        return 2
    path = f"{folder}/kustomization.yaml"
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()

    # The entry: "  - name: customer-analytics" under "images:", then its
    # more-indented keys up to the next entry or top-level key.
    try:
        top = lines.index("images:")
        start = next(i for i in range(top + 1, len(lines))
                     if re.fullmatch(rf"(\s*)- name: {NAME}\s*", lines[i]))
    except (ValueError, StopIteration):
        print(f"{path}: no images: entry named {NAME}", file=sys.stderr)
        return 1
    indent = " " * (len(lines[start]) - len(lines[start].lstrip()) + 2)
    end = start + 1
    while end < len(lines) and lines[end].startswith(indent):
        end += 1
    entry = [f"{indent[:-2]}- name: {NAME}", f"{indent}newName: {repo}",
             f"{indent}newTag: {tag}", f"{indent}digest: {digest}"]
    lines[start:end] = entry
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")

    rendered = subprocess.run(["kubectl", "kustomize", folder], capture_output=True, text=True)
    if rendered.returncode != 0:
        print(f"kubectl kustomize {folder} failed:\n{rendered.stderr}", file=sys.stderr)
        return 1
    images = set()
    for obj in yaml.safe_load_all(rendered.stdout):
        spec = (obj or {}).get("spec", {})
        template = spec.get("template", {}).get("spec", {})
        images.update(c["image"] for c in template.get("containers", []))
    want = f"{repo}:{tag}@{digest}"
    if images != {want}:
        print(f"{folder} renders images {sorted(images)}, want only {want}", file=sys.stderr)
        return 1
    print(f"{path}: {NAME} pinned to {want}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
