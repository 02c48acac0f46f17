"""Job names: each one core (or a door) enqueues resolves to a real job function, and none is spelled elsewhere."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

from core import job_names, jobs
from worker.schedule import PERIODIC_JOBS

ROOT = Path(__file__).resolve().parent.parent
JOB_PATH = re.compile(r"^(worker|bot)\.(jobs|entry)\.[\w.]+$")


@pytest.mark.parametrize("path", job_names.JOB_FUNCTIONS)
def test_each_name_is_a_job_function_where_it_says(path):
    func = jobs.resolve(path)
    assert inspect.isfunction(func)
    module, _, name = path.rpartition(".")
    assert (func.__module__, func.__name__) == (module, name)
    assert module.startswith(("worker.jobs.", "worker.entry", "bot.jobs"))


@pytest.mark.parametrize("old", sorted(job_names.RENAMED))
def test_a_path_recorded_before_a_rename_still_runs(old):
    assert jobs.resolve(old) is jobs.resolve(job_names.RENAMED[old])


def test_every_periodic_job_is_named():
    assert {job["func"] for job in PERIODIC_JOBS} <= set(job_names.JOB_FUNCTIONS)


def test_no_job_path_is_spelled_outside_the_registry():
    assert all(JOB_PATH.match(path) for path in job_names.JOB_FUNCTIONS)  # the pattern sees every name
    spelled = []
    for package in ("core", "console", "bot", "worker", "vistaflow"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path == ROOT / "core" / "job_names.py":
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and JOB_PATH.match(node.value):
                    spelled.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value}")
    assert spelled == []
