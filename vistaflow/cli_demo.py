"""`flask vistaflow demo`: a demo workspace with a sandbox Instagram account, and how to log in."""

from __future__ import annotations

import time

import click
from flask import current_app

from core.errors import VistaFlowError
from vistaflow.cli import _fail, cli


@cli.command("demo")
def demo() -> None:
    """Create the demo workspace (sandbox Instagram account, weeks of activity); print the login."""
    from core.demo import seed as demo_service

    started = time.monotonic()
    try:
        result = demo_service.create_demo()
    except VistaFlowError as exc:
        _fail(exc)
    if result.created:
        counts = result.counts
        click.echo(
            f"Demo workspace created in {time.monotonic() - started:.1f}s: {counts.get('interactions', 0)} "
            f"interactions, {counts.get('targets', 0)} people ({counts.get('hot', 0)} hot), "
            f"{counts.get('drafts', 0)} DMs awaiting approval, {counts.get('leads', 0)} leads."
        )
    else:
        click.echo("The demo workspace already exists; nothing was changed.")
    click.echo("The sandbox account records DMs instead of sending them to Instagram.")
    click.echo(f"  Open:     {current_app.config['PUBLIC_URL']}/w/{result.workspace_id}")
    click.echo(f"  Email:    {result.email}")
    click.echo(f"  Password: {result.password}  (unless you changed it)")


@cli.command("prepare")
@click.pass_context
def prepare(ctx: click.Context) -> None:
    """Migrate the database when it is behind, then create or find the demo (what scripts/start.sh runs)."""
    from flask_migrate import upgrade

    from vistaflow.doctor import check_migrations

    if not check_migrations().ok:
        upgrade()
    ctx.invoke(demo)
