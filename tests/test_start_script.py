"""scripts/start.sh, the README's first command: it serves the URL it prints, and a second run skips the set-up."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading

import httpx

from tests.conftest import ROOT, wait_for
from tests.test_single_process import _free_port


def _start(env: dict) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen(
        ["bash", "scripts/start.sh"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    return proc, lines


def _run_until_served(env: dict) -> list[str]:
    proc, lines = _start(env)
    try:

        def served() -> str | None:
            assert proc.poll() is None, "start.sh exited:\n" + "".join(lines)
            found = [m.group(1) for m in map(re.compile(r"VistaFlow is starting on (\S+)").search, lines) if m]
            if not found:
                return None
            try:
                return found[0] if httpx.get(found[0] + "/healthz", timeout=2).status_code == 200 else None
            except httpx.HTTPError:
                return None

        url = wait_for(served, timeout=240, interval=0.5, message="start.sh serving the URL it printed")
        assert url == f"http://127.0.0.1:{env['PORT']}"
    finally:
        proc.send_signal(signal.SIGTERM)  # start.sh exec'd gunicorn: this stops it
        proc.wait(60)
    return lines


def test_start_serves_the_url_it_prints_and_a_second_run_skips_the_set_up(tmp_path):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "VISTAFLOW_INSTANCE_PATH": str(tmp_path),
        "PORT": str(_free_port()),
    }
    first = "".join(_run_until_served(env))
    assert f"Open:     http://127.0.0.1:{env['PORT']}/w/1" in first and "Demo workspace created" in first
    second = "".join(_run_until_served(env))
    assert "install skipped" in second and "Installing" not in second
    assert "Running upgrade" not in second and "The demo workspace already exists" in second
