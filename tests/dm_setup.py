"""Test helpers for DM outreach: an Instagram account on the emulator, people who commented or messaged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.db import db, utcnow
from core.models import DirectMessage, Workspace
from core.services.workspaces.settings import read as read_settings
from tests.factories import make_account, make_interaction, make_target


@dataclass
class Shop:
    workspace_id: int
    account_id: int
    ig_user_id: str
    media_id: str
    token: str


def instagram_shop(
    emu, workspace_id: int, *, quota: int | None = None, gap: int = 0, jitter: int = 0, username: str = "acme.shop"
) -> Shop:
    """A connected Instagram account of `workspace_id` backed by the emulator (call in an app context)."""
    ig_user_id = emu.add_account(username)
    token = emu.issue_token(ig_user_id)
    account = make_account(
        workspace_id, platform_user_id=ig_user_id, username=username, access_token=token, daily_dm_quota=quota
    )
    workspace = db.session.get(Workspace, workspace_id)
    workspace.settings = read_settings(workspace.settings).model_dump() | {
        "dm_min_gap_seconds": gap,
        "dm_gap_jitter_seconds": jitter,
    }
    db.session.commit()
    media_id = emu.add_media(ig_user_id, caption="Spring drop")
    return Shop(workspace_id, account.id, ig_user_id, media_id, token)


def commenter(
    emu,
    shop: Shop,
    *,
    text: str = "how much is it?",
    age: timedelta = timedelta(minutes=5),
    user_id: str | None = None,
    username: str | None = None,
):
    """A person who commented on the shop's post `age` ago: (target, comment interaction)."""
    from core.models import SocialAccount

    account = db.session.get(SocialAccount, shop.account_id)
    n = len(emu.comments) + 1
    user_id = user_id or f"9000{n:06d}{shop.account_id}"
    username = username or f"fan_{n}"
    when = utcnow() - age
    comment_id = emu.add_comment(shop.media_id, text, username, user_id, timestamp=when)
    target = make_target(account, platform_user_id=user_id, username=username)
    interaction = make_interaction(
        target, kind="comment", text=text, occurred_at=when, platform_id=comment_id, media_id=shop.media_id
    )
    return target, interaction


def messenger(emu, shop: Shop, *, text: str = "hi, is it available?", age: timedelta = timedelta(minutes=5)):
    """A person who messaged the shop `age` ago (the 24 h window opens on both sides)."""
    from core.models import SocialAccount

    account = db.session.get(SocialAccount, shop.account_id)
    n = len(emu.inbound) + 1
    user_id = f"8000{n:06d}{shop.account_id}"
    when = utcnow() - age
    emu.add_inbound_message(shop.ig_user_id, user_id, text, timestamp=when)
    target = make_target(account, platform_user_id=user_id, username=f"dm_{n}", last_inbound_message_at=when)
    interaction = make_interaction(target, kind="message", text=text, occurred_at=when, media_id=None)
    return target, interaction


def dm_status(dm_id: int) -> str:
    db.session.expire_all()
    return db.session.get(DirectMessage, dm_id).status


def commenters(emu, shop: Shop, count: int) -> list[int]:
    """`count` people who each commented a minute ago, stored in one transaction: their target ids."""
    from core.models import Interaction, SocialAccount, Target

    account = db.session.get(SocialAccount, shop.account_id)
    when = utcnow() - timedelta(minutes=1)
    targets = []
    for n in range(count):
        user_id, username = f"7000{n:06d}{shop.account_id}", f"crowd_{n}"
        comment_id = emu.add_comment(shop.media_id, "price?", username, user_id, timestamp=when)
        target = Target(
            workspace_id=account.workspace_id,
            social_account_id=account.id,
            platform="instagram",
            platform_user_id=user_id,
            username=username,
            first_seen_at=when,
            last_seen_at=when,
        )
        db.session.add(target)
        db.session.flush()
        db.session.add(
            Interaction(
                workspace_id=account.workspace_id,
                social_account_id=account.id,
                target_id=target.id,
                platform="instagram",
                kind="comment",
                platform_id=comment_id,
                author_platform_id=user_id,
                author_username=username,
                text="price?",
                media_id=shop.media_id,
                occurred_at=when,
                source="poll",
            )
        )
        targets.append(target.id)
    db.session.commit()
    return targets
