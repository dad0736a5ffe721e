#!/usr/bin/env bash
# Install everything the test suite needs, then run it: Debian's PostgreSQL (the store
# tests run against SQLite and a throwaway PostgreSQL cluster), nginx (several app servers
# are tested behind it), Chromium (the report is checked in a headless browser) and
# systemd's systemd-analyze (the deploy units are verified), a virtualenv with
# tallyroom and its test tools, ruff, mypy (strict on the rules and the address table),
# and pytest. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v systemd-analyze >/dev/null || missing+=(systemd)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python3 -m venv .venv
.venv/bin/pip install -q -e '.[test]'
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/pytest "$@"
