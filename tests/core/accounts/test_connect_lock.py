"""Issue 17 residue: two workspaces connecting the same Instagram account at once cannot both win.

The "live in another workspace?" check and the insert are two statements; the connect holds an
advisory lock on the platform account for its transaction, so a second connect waits for the first
to commit and then sees the account taken.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text

from core.db import db
from core.models import Door, Platform, SocialAccount, User
from core.platforms.base import Profile, TokenGrant
from core.services.accounts import connect
from core.services.identity.actors import Actor

PROFILE = Profile(id="17841400000000777", username="acme.shop", account_type="BUSINESS")


def _actor(email: str) -> Actor:
    return Actor.for_user(db.session.scalar(select(User).where(User.email == email)), Door.CONSOLE)


def test_a_second_workspace_waits_for_the_first_connect_then_is_refused(app, factory):
    team = factory.rivals()
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("the lock is PostgreSQL's; SQLite has one writer at a time")
        second_actor = _actor(team["stranger"].email)
        # The first workspace's connect is in its transaction: the lock is held, the row not yet committed.
        holder = db.engine.connect()
        holder.execute(
            text("SELECT pg_advisory_xact_lock(:space, hashtext(:identity))"),
            {"space": connect.IDENTITY_LOCK, "identity": f"instagram:{PROFILE.id}"},
        )

    outcome: dict[str, object] = {}

    def second_connect() -> None:
        with app.app_context():
            try:
                outcome["account"] = connect.claim_account(
                    team["other"], Platform.INSTAGRAM, PROFILE, "BUSINESS", TokenGrant("tok-2", 3600), second_actor
                )
            except connect.ConnectFailed as failure:
                outcome["refused"] = failure.message

    thread = threading.Thread(target=second_connect)
    thread.start()
    thread.join(timeout=1.0)
    assert thread.is_alive(), "the second connect went ahead without waiting for the first"

    holder.execute(
        text(
            "INSERT INTO social_accounts (workspace_id, platform, platform_user_id, username, status, paused, "
            "created_at, updated_at) VALUES (:ws, 'instagram', :pid, 'acme.shop', 'connected', false, now(), now())"
        ),
        {"ws": team["ws"], "pid": PROFILE.id},
    )
    holder.commit()  # the first connect commits: lock released, its row visible
    holder.close()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert "already connected to another VistaFlow workspace" in str(outcome.get("refused"))
    with app.app_context():
        rows = db.session.scalars(select(SocialAccount).where(SocialAccount.platform_user_id == PROFILE.id)).all()
        assert [row.workspace_id for row in rows] == [team["ws"]]
