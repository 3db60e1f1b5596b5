#!/usr/bin/env bash
# The terminal end-to-end tests (test/e2e/terminal.test.ts) drive a real terminal with tmux.
# Installs it from Debian's packages when it is missing; does nothing when it is there.
set -euo pipefail
if command -v tmux >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "tmux is missing and this script is not root: install tmux (apt-get install tmux)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends tmux >/dev/null
tmux -V
