#!/usr/bin/env bash
# The HTML report's browser test (test/e2e/html-report.test.ts) drives Debian's chromium with
# playwright-core. Installs it from Debian's packages when it is missing; does nothing when it is there.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is missing and this script is not root: install chromium (apt-get install chromium)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
chromium --version
