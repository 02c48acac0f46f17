#!/usr/bin/env bash
# Install VistaFlow and start it on its embedded default: SQLite under instance/, jobs in-process.
# Open http://localhost:3001 afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --disable-pip-version-check -r requirements.txt

export FLASK_APP=wsgi
.venv/bin/flask db upgrade
if .venv/bin/flask vistaflow --help 2>/dev/null | grep -q " demo "; then
  .venv/bin/flask vistaflow demo
fi

echo "VistaFlow is starting on http://localhost:${PORT:-3001}"
exec .venv/bin/gunicorn --config gunicorn.conf.py --workers 1 wsgi:app
