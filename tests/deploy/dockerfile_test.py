#!/usr/bin/python3
"""Checks deploy/Dockerfile against the binaries it will carry, without a
Docker engine (none runs here).

Usage: dockerfile_test.py --dockerfile deploy/Dockerfile BINARY...

* Every shared library the built binaries load (`ldd`) belongs to a Debian
  package (`dpkg -S`) that the runtime stage installs, except the packages
  the debian:bookworm-slim base already has and apt itself depends on:
  libc6, libgcc-s1 and libstdc++6. The build machine runs the same Debian
  release as the image's build stage, so the names (which carry the ABI,
  libgrpc++1.51) are the ones the image build links against.
* The runtime stage installs no -dev packages or compilers, and every name
  it installs is a real package of this release (apt-cache).
* The image runs as numeric non-root user 10001, with analytics-server as
  its ENTRYPOINT and both binaries in /usr/local/bin, the database volume at
  /var/lib/analytics.
* The build stage installs the project's build dependencies.
Exit 77 (ctest: skipped) when a binary has not been built.
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys

BASE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}
BUILD_PACKAGES = {"cmake", "g++", "pkg-config", "libgrpc++-dev", "protobuf-compiler-grpc",
                  "libprotobuf-dev", "protobuf-compiler", "libspdlog-dev", "libsqlite3-dev",
                  "grpc-proto", "libcpp-httplib-dev", "libabsl-dev",
                  "libxxhash-dev"}
SKIP = 77


def stages(path):
    """[(base image, [(INSTRUCTION, rest)])] with ARG defaults substituted."""
    with open(path, encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    args, result = {}, []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        instruction = instruction.upper()
        rest = re.sub(r"\$\{(\w+)\}", lambda m: args.get(m.group(1), m.group(0)), rest.strip())
        if instruction == "ARG" and "=" in rest and not result:
            key, _, value = rest.partition("=")
            args[key] = value
        elif instruction == "FROM":
            result.append((rest.split()[0], []))
        elif result:
            result[-1][1].append((instruction, rest))
    return result


def apt_installs(instructions):
    packages = set()
    for instruction, rest in instructions:
        if instruction != "RUN":
            continue
        for command in re.split(r"&&|;", rest):
            words = shlex.split(command)
            if len(words) >= 2 and words[0] in ("apt-get", "apt") and "install" in words:
                after = words[words.index("install") + 1:]
                packages.update(w for w in after if not w.startswith("-"))
    return packages


def candidates(library):
    # With merged /usr, dpkg knows a file under only one of /lib and /usr/lib.
    paths = {library, os.path.realpath(library)}
    return paths | {p[len("/usr"):] if p.startswith("/usr/") else "/usr" + p for p in paths}


def owners(paths):
    """{path: package} for the paths dpkg knows, in one dpkg call (each call
    reads the whole package database)."""
    result = subprocess.run(["dpkg", "-S"] + sorted(paths), capture_output=True, text=True)
    found = {}
    for line in result.stdout.splitlines():
        package, _, path = line.partition(": ")
        found[path.strip()] = package.split(":")[0]
    return found


def libraries(binary, failures):
    """The shared library files `binary` loads."""
    output = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    found = []
    for line in output.splitlines():
        if "not found" in line:
            failures.append(f"{os.path.basename(binary)}: {line.strip()}")
            continue
        match = re.search(r"=>\s+(/\S+)", line) or re.match(r"\s*(/\S+)\s+\(", line)
        if match:  # linux-vdso has no file
            found.append(match.group(1))
    return found


def needed_packages(binaries, failures):
    """{package: {"library of binary", ...}} for everything the binaries load."""
    loaded = {binary: libraries(binary, failures) for binary in binaries}
    known = owners({c for libs in loaded.values() for lib in libs for c in candidates(lib)})
    needed = {}
    for binary, libs in loaded.items():
        for lib in libs:
            package = next((known[c] for c in sorted(candidates(lib)) if c in known), None)
            if package is None:
                failures.append(f"{os.path.basename(binary)}: no Debian package owns {lib}")
            else:
                needed.setdefault(package, set()).add(
                    f"{os.path.basename(lib)} of {os.path.basename(binary)}")
    return needed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dockerfile", required=True)
    # An undefined target's path arrives empty, or not at all.
    parser.add_argument("binaries", nargs="*")
    args = parser.parse_args()
    if len(args.binaries) < 2 or not all(b and os.path.exists(b) for b in args.binaries):
        print(f"SKIP analytics-server and analytics-cli are not both built: {args.binaries}")
        return SKIP

    failures = []
    all_stages = stages(args.dockerfile)
    if len(all_stages) < 2:
        print(f"FAIL {args.dockerfile}: expected a build stage and a runtime stage")
        return 1
    build_base, build = all_stages[0]
    runtime_base, runtime = all_stages[-1]
    if build_base.split(" ")[0] != "debian:bookworm":
        failures.append(f"build stage base is {build_base}, want debian:bookworm")
    if runtime_base != "debian:bookworm-slim":
        failures.append(f"runtime stage base is {runtime_base}, want debian:bookworm-slim")

    missing_build = BUILD_PACKAGES - apt_installs(build)
    if missing_build:
        failures.append(f"build stage lacks {', '.join(sorted(missing_build))}")

    installed = apt_installs(runtime)
    for package, users in sorted(needed_packages(args.binaries, failures).items()):
        if package not in installed and package not in BASE_PACKAGES:
            failures.append(f"runtime stage lacks {package} ({', '.join(sorted(users))})")
    # One apt-cache call: it prints a stanza per package it knows.
    shown = subprocess.run(["apt-cache", "show", "--no-all-versions"] + sorted(installed),
                           capture_output=True, text=True).stdout
    known = set(re.findall(r"^Package: (\S+)$", shown, re.MULTILINE))
    for package in sorted(installed):
        if package.endswith("-dev") or package in ("g++", "gcc", "cmake", "make"):
            failures.append(f"runtime stage installs build tool {package}")
        elif package not in known:
            failures.append(f"runtime stage installs {package}, unknown to apt")

    settings = {}
    for instruction, rest in runtime:
        settings.setdefault(instruction, []).append(rest)
    user = (settings.get("USER") or [""])[-1].split(":")[0]
    if user != "10001":
        failures.append(f"USER is {user!r}, want the numeric non-root 10001")
    entrypoint = (settings.get("ENTRYPOINT") or ["[]"])[-1]
    if not entrypoint.startswith("[") or json.loads(entrypoint) != ["/usr/local/bin/analytics-server"]:
        failures.append(f"ENTRYPOINT is {entrypoint}, want exec form of "
                        "/usr/local/bin/analytics-server")
    copies = " ".join(settings.get("COPY", []))
    for name in ("analytics-server", "analytics-cli"):
        if not re.search(rf"--from=\w+ .*/{name}\b.* /usr/local/bin/", copies):
            failures.append(f"{name} is not copied from the build stage into /usr/local/bin/")
    if "/var/lib/analytics" not in " ".join(settings.get("VOLUME", [])):
        failures.append("the database folder /var/lib/analytics is not a VOLUME")

    for failure in failures:
        print("FAIL", failure)
    if failures:
        return 1
    print(f"ok   runtime stage installs every package the binaries load "
          f"({', '.join(sorted(installed))}; base: {', '.join(sorted(BASE_PACKAGES))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
