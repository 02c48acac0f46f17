#!/usr/bin/env bash
# Install VistaFlow and start it on its embedded default: SQLite under instance/, jobs and their clock
# in-process, listening on loopback (HOST=0.0.0.0 or BIND=host:port to expose it; see README).
# A second run skips what is already done: the install when requirements.txt is unchanged, the migrations
# when the database is at head, and the demo when it exists.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x .venv/bin/python ] || python3 -m venv .venv
stamp=.venv/.vistaflow-requirements.sha256
wanted=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "Installing the requirements into .venv..."
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt
  echo "$wanted" >"$stamp"
else
  echo "Requirements unchanged since the last run: install skipped."
fi

export FLASK_APP=wsgi
.venv/bin/flask vistaflow prepare

url=$(.venv/bin/python -c 'import os; from core.config import served_url; print(os.environ.get("PUBLIC_URL") or served_url(os.environ))')
echo "VistaFlow is starting on $url"
exec .venv/bin/gunicorn --config gunicorn.conf.py --workers 1 wsgi:app
