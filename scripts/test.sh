#!/usr/bin/env bash
# Install the test dependencies (and Debian's Chromium for the browser tests), then run every test.
# Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (TEST_DATABASE_URL / TEST_REDIS_URL to change).
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt -r requirements-dev.txt
if [ -f scripts/install-browser.sh ]; then
  bash scripts/install-browser.sh
fi
.venv/bin/ruff check .
bash scripts/i18n.sh compile  # the tests read the compiled catalogues (tests/core/test_catalogue.py checks them)
.venv/bin/python -m pytest "$@"
