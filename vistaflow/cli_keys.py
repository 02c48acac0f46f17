"""`flask vistaflow rotate-keys`: re-encrypt every stored secret under the newest key."""

from __future__ import annotations

import click

from core.services.operators.key_rotation import rotate_secrets
from vistaflow.cli import cli


@cli.command("rotate-keys")
@click.option("--batch-size", default=200, show_default=True, type=click.IntRange(1, 10000))
def rotate_keys(batch_size: int) -> None:
    """Re-encrypt secrets not under the first key of VISTAFLOW_ENCRYPTION_KEYS (safe to re-run)."""
    report = rotate_secrets(batch_size=batch_size)
    for column, counts in report.columns.items():
        click.echo(f"{column}: {counts['rotated']} re-encrypted, {counts['failed']} unreadable")
    click.echo(f"Done: {report.rotated} re-encrypted under key {report.primary!r}, {report.failed} unreadable.")
    if report.failed:
        raise click.ClickException(
            "Some secrets could not be decrypted with the configured keys; keep the old key in "
            "VISTAFLOW_ENCRYPTION_KEYS until they are rotated (or reconnect those accounts)."
        )
