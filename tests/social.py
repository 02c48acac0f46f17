"""Test helpers for social accounts: seed rows the way the connect flow stores them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import inspect, select, text

from core.db import db, utcnow
from core.models import SocialAccount


def seed_account(
    app,
    workspace_id: int,
    *,
    platform: str = "instagram",
    username: str = "acme.shop",
    platform_user_id: str | None = None,
    token: str = "IGAA-seeded-access-token-0001",
    expires_in: timedelta = timedelta(days=60),
    refreshed_ago: timedelta = timedelta(days=2),
    refresh_token: str | None = None,
    refresh_expires_in: timedelta | None = None,
    status: str = "connected",
) -> int:
    with app.app_context():
        account = SocialAccount(
            workspace_id=workspace_id,
            platform=platform,
            platform_user_id=platform_user_id or f"{platform}-{username}",
            username=username,
            account_type="BUSINESS",
            status=status,
        )
        db.session.add(account)
        db.session.flush()
        now = utcnow()
        account.store_tokens(
            access_token=token,
            expires_at=now + expires_in,
            refresh_token=refresh_token,
            refresh_expires_at=(now + refresh_expires_in) if refresh_expires_in else None,
        )
        account.token_refreshed_at = now - refreshed_ago
        db.session.commit()
        return account.id


def load_account(app, account_id: int) -> SocialAccount:
    with app.app_context():
        account = db.session.get(SocialAccount, account_id)
        db.session.expunge(account)
        return account


def all_text_in_database(app) -> str:
    """Every text and JSON value of every table, concatenated: for scanning for leaked secrets."""
    chunks: list[str] = []
    with app.app_context():
        inspector = inspect(db.engine)
        with db.engine.connect() as conn:
            for table in inspector.get_table_names():
                if table == "alembic_version":
                    continue
                for column in inspector.get_columns(table):
                    kind = str(column["type"]).upper()
                    if any(t in kind for t in ("CHAR", "TEXT", "JSON", "STRING")):
                        rows = conn.execute(text(f'SELECT CAST("{column["name"]}" AS TEXT) FROM "{table}"'))
                        chunks.extend(str(v) for (v,) in rows if v is not None)
    return "\n".join(chunks)


def accounts_in(app, workspace_id: int) -> list[SocialAccount]:
    with app.app_context():
        rows = list(db.session.scalars(select(SocialAccount).where(SocialAccount.workspace_id == workspace_id)))
        for row in rows:
            db.session.expunge(row)
        return rows
