"""`flask vistaflow rotate-keys`: re-encrypts under the newest key, in batches, safely re-runnable."""

from __future__ import annotations

import base64

from sqlalchemy import select, update

from core.db import db
from core.models import SocialAccount
from tests.social import seed_account

OLD = "k1:" + "A" * 43 + "="  # the key the test suite runs with
NEW = "k2:" + base64.b64encode(b"n" * 32).decode()


def app_with_keys(database_url: str, keys: str):
    from vistaflow import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "VISTAFLOW_ENCRYPTION_KEYS": keys})


def tokens(app) -> dict[int, tuple[str | None, str | None]]:
    with app.app_context():
        rows = db.session.scalars(select(SocialAccount).order_by(SocialAccount.id)).all()
        return {a.id: (a.decrypted_access_token(), a.decrypted_refresh_token()) for a in rows}


def ciphertexts(app) -> list[str]:
    with app.app_context():
        rows = db.session.execute(
            select(SocialAccount.access_token_encrypted, SocialAccount.refresh_token_encrypted)
        ).all()
        return [value for row in rows for value in row if value]


def test_rotation_re_encrypts_everything_in_batches_and_is_re_runnable(app, database_url, factory):
    owner = factory.user()
    workspace = factory.workspace(owner)
    for n in range(5):
        seed_account(app, workspace["id"], username=f"ig{n}", token=f"IGAA-token-{n}")
    seed_account(app, workspace["id"], platform="tiktok", username="tt", token="act.x", refresh_token="rft.y")
    before = tokens(app)
    assert all(c.startswith("v1:k1:") for c in ciphertexts(app))

    rotated = app_with_keys(database_url, f"{NEW},{OLD}")
    result = rotated.test_cli_runner().invoke(args=["vistaflow", "rotate-keys", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "social_accounts.access_token_encrypted: 6 re-encrypted" in result.output
    assert "social_accounts.refresh_token_encrypted: 1 re-encrypted" in result.output
    assert "Done: 7 re-encrypted under key 'k2'" in result.output
    assert all(c.startswith("v1:k2:") for c in ciphertexts(rotated))
    assert tokens(rotated) == before
    # The old key can now be retired: the new key alone reads everything.
    assert tokens(app_with_keys(database_url, NEW)) == before

    again = rotated.test_cli_runner().invoke(args=["vistaflow", "rotate-keys"])
    assert again.exit_code == 0 and "Done: 0 re-encrypted" in again.output


def test_unreadable_secret_is_reported_and_the_run_still_finishes(app, database_url, factory):
    owner = factory.user()
    workspace = factory.workspace(owner)
    good = seed_account(app, workspace["id"], username="good", token="IGAA-good")
    bad = seed_account(app, workspace["id"], username="bad", token="IGAA-bad")
    with app.app_context():
        # A ciphertext copied from another row does not open here (the row id is bound in).
        moved = db.session.get(SocialAccount, good).access_token_encrypted
        db.session.execute(update(SocialAccount).where(SocialAccount.id == bad).values(access_token_encrypted=moved))
        db.session.commit()
    rotated = app_with_keys(database_url, f"{NEW},{OLD}")
    result = rotated.test_cli_runner().invoke(args=["vistaflow", "rotate-keys", "--batch-size", "1"])
    assert result.exit_code != 0
    assert "1 re-encrypted, 1 unreadable" in result.output
    assert "IGAA-good" not in result.output
    with rotated.app_context():
        assert db.session.get(SocialAccount, good).decrypted_access_token() == "IGAA-good"
