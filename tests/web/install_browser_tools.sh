#!/usr/bin/env bash
# Installs the pinned npm packages of the browser tests (puppeteer-core; the
# browser is Debian's chromium, never downloaded) into DIR, a folder of the
# build tree holding package.json and package-lock.json. Skips the install
# when DIR already holds exactly this lock file's packages.
set -euo pipefail
dir=${1:?usage: install_browser_tools.sh DIR}
cd "$dir"
stamp=node_modules/.installed-package-lock.json
if [[ -f $stamp ]] && cmp -s package-lock.json "$stamp"; then
  echo "browser test tools up to date in $dir"
  exit 0
fi
# puppeteer-core downloads nothing; the variable keeps any future postinstall
# from trying.
PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
cp package-lock.json "$stamp"
echo "browser test tools installed in $dir"
