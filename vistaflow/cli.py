"""`flask vistaflow ...`: operator commands."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from core.errors import VistaFlowError
from core.models import Door
from core.services.identity import auth
from core.services.identity.actors import Actor
from core.services.operators import admin as platform_admin

cli = AppGroup("vistaflow", help="VistaFlow operator commands.")


def _fail(exc: VistaFlowError) -> None:
    detail = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    raise click.ClickException(exc.message + (f" ({detail})" if detail else ""))


@cli.command("create-user")
@click.option("--email", prompt=True)
@click.option("--name", prompt=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--admin", is_flag=True, help="Make the user a platform administrator.")
def create_user(email: str, name: str, password: str, admin: bool) -> None:
    """Create a user (optionally a platform administrator)."""
    try:
        user = auth.register(email, password, name, door=Door.CLI, is_platform_admin=admin, verified=True)
    except VistaFlowError as exc:
        _fail(exc)
    click.echo(f"Created user {user.email} (id {user.id}){' as platform administrator' if admin else ''}.")


@cli.command("promote")
@click.argument("email")
def promote(email: str) -> None:
    """Make an existing user a platform administrator."""
    try:
        user = platform_admin.promote(email, actor=Actor(user_id=None, door=Door.CLI, label="cli"))
    except VistaFlowError as exc:
        _fail(exc)
    click.echo(f"{user.email} is now a platform administrator.")


@cli.command("doctor")
def doctor() -> None:
    """Check the database, Redis, migrations and secrets; say what is wrong and how to fix it."""
    from vistaflow.doctor import run_checks

    problems = 0
    for check in run_checks():
        mark = "ok  " if check.ok else "FAIL"
        click.echo(f"[{mark}] {check.name}: {check.detail}")
        if not check.ok:
            problems += 1
            click.echo(f"       fix: {check.fix}")
    if problems:
        raise click.ClickException(f"{problems} problem(s) found.")
    click.echo("All checks passed.")


def init_app(app: Flask) -> None:
    app.cli.add_command(cli)
    # Imported for its side effect of registering more commands on `cli`.
    from vistaflow import cli_demo, cli_jobs, cli_keys  # noqa: F401
