#!/usr/bin/env bash
# Installs the pinned npm packages of the manifest schema check into DIR
# (a folder of the build tree holding package.json and package-lock.json).
# Skips the install when DIR already holds exactly this lock file's packages.
set -euo pipefail
dir=${1:?usage: install_k8s_tools.sh DIR}
cd "$dir"
stamp=node_modules/.installed-package-lock.json
if [[ -f $stamp ]] && cmp -s package-lock.json "$stamp"; then
  echo "k8s tools up to date in $dir"
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
echo "k8s tools installed in $dir"
