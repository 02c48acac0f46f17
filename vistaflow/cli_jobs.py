"""`flask vistaflow run-job NAME`: run a periodic job now, in this process."""

from __future__ import annotations

import signal

import click

from vistaflow.cli import cli
from worker.schedule import PERIODIC_JOBS


@cli.command("run-job")
@click.argument("name", type=click.Choice([job["id"] for job in PERIODIC_JOBS]))
def run_job(name: str) -> None:
    """Run one of the periodic jobs right now."""
    from worker.entry import run_periodic_inline

    result = run_periodic_inline(name)
    click.echo(f"{name}: {result}")


@cli.command("clock")
def clock() -> None:
    """Run the single-process clock in the foreground (periodic and delayed jobs; no Redis installs)."""
    from flask import current_app

    from vistaflow.clock import Clock

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("REDIS_URL"):
        raise click.ClickException(
            "REDIS_URL is set: periodic jobs run in `python -m worker.scheduler` and delayed ones in the workers."
        )
    runner = Clock(app).start()
    signal.signal(signal.SIGTERM, lambda *_: runner.request_stop())
    click.echo(f"clock {runner.holder} started; Ctrl-C stops it (only one runner holds the lease at a time)")
    try:
        runner.wait()
    except KeyboardInterrupt:
        click.echo("stopping after the jobs now running...")
    finally:
        runner.stop()
