"""`flask vistaflow run-job NAME`: run a periodic job now, in this process."""

from __future__ import annotations

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
