"""Incremental collection of an account's comments, replies and mentions, and what starts it.

A quiet cycle costs two platform calls (recent media with their comment counts, then mentions);
only media whose count or timestamp moved since the last run are read further. One account's
failure is recorded on that account and never stops another account's run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from core import job_names, jobs
from core.crypto import DecryptionError
from core.db import db, utcnow
from core.errors import Conflict
from core.i18n import _
from core.models import (
    AccountCollectionState,
    AccountStatus,
    JobRun,
    JobStatus,
    Role,
    SocialAccount,
    Workspace,
)
from core.platforms.base import PermissionMissing, PlatformError, RateLimited, TokenExpired
from core.services.accounts.connected import client_for, mark_needs_reconnect
from core.services.automations import runner as automations
from core.services.collection import ingest, walk
from core.services.collection.lock import account_lock
from core.services.identity.access import get_scoped, require_active, require_role
from core.services.identity.actors import Actor
from core.services.targets.rescore import rescore_workspace
from core.services.workspaces import status as workspace_status
from core.services.workspaces.settings import read as read_settings

log = logging.getLogger(__name__)

JOB_FUNC = job_names.COLLECT_ACCOUNT
JOB_KIND = "collect-account"
LABELS = {"instagram": "Instagram", "tiktok": "TikTok"}


@dataclass
class CollectionResult:
    """The outcome of one run; `target_ids` are the people with new interactions (for rescoring)."""

    account_id: int
    new_interactions: int = 0
    api_calls: int = 0
    media_checked: int = 0
    media_changed: int = 0
    pages: int = 0
    mentions_new: int = 0
    errors: list[str] = field(default_factory=list)
    skipped: str | None = None
    target_ids: set[int] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "new_interactions": self.new_interactions,
            "api_calls": self.api_calls,
            "media_checked": self.media_checked,
            "media_changed": self.media_changed,
            "pages": self.pages,
            "mentions_new": self.mentions_new,
            "targets_touched": len(self.target_ids),
            "errors": list(self.errors),
            "skipped": self.skipped,
        }


def collect_account(account_id: int, *, client: Any = None, now: datetime | None = None) -> CollectionResult:
    """Collect one account's new interactions (per-account lock; commits per page; records the result)."""
    with account_lock(account_id) as held:
        if not held:
            return CollectionResult(account_id, skipped="another collection of this account is running")
        return _collect(account_id, client, now or utcnow())


def collect_and_rescore(account_id: int) -> dict[str, Any]:
    """Collect one account, then rescore at once the targets its new interactions flagged; returns the counts."""
    result = collect_account(account_id)
    counts = result.as_dict()
    account = db.session.get(SocialAccount, account_id) if result.target_ids else None
    if account is not None:
        counts["rescore"] = rescore_workspace(account.workspace_id, full=False).as_dict()
        counts |= automations.after_rescore(account.workspace_id)
    return counts


def _state_of(account_id: int) -> AccountCollectionState:
    state = db.session.get(AccountCollectionState, account_id)
    if state is None:
        state = AccountCollectionState(social_account_id=account_id, last_result={})
        db.session.add(state)
        db.session.flush()
    return state


def _skip_reason(account: SocialAccount, state: AccountCollectionState, now: datetime) -> str | None:
    if account.status == AccountStatus.NEEDS_RECONNECT.value:
        return "the account needs reconnecting"
    if account.status != AccountStatus.CONNECTED.value or account.access_token_encrypted is None:
        return "the account is disconnected"
    if account.paused:
        return "the account is paused"
    if not workspace_status.is_active(account.workspace_id):
        return "the workspace is suspended"
    if state.backoff_until is not None and state.backoff_until > now:
        return f"rate limited until {state.backoff_until.isoformat(timespec='seconds')}: {state.backoff_reason}"
    return None


def _collect(account_id: int, client: Any, now: datetime) -> CollectionResult:
    result = CollectionResult(account_id)
    account = db.session.get(SocialAccount, account_id)
    if account is None:
        result.skipped = "the account no longer exists"
        return result
    state = _state_of(account_id)
    result.skipped = _skip_reason(account, state, now)
    if result.skipped:
        return _finish(account_id, result, now, completed=False)
    own_client = client is None
    try:
        client = client or client_for(account)
    except DecryptionError:
        mark_needs_reconnect(account, "The stored token cannot be decrypted; reconnect the account.")
        result.errors.append("token unreadable: the account must be reconnected")
        return _finish(account_id, result, now, completed=False)
    try:
        return _collect_with(account, state, client, result, now)
    finally:
        if own_client:
            client.close()


def _collect_with(
    account: SocialAccount, state: AccountCollectionState, client: Any, result: CollectionResult, now: datetime
) -> CollectionResult:
    account_id = account.id
    tally = walk.Tally()
    completed = False
    try:
        _run(account, state, client, tally, now)
        completed = True
    except RateLimited as exc:
        db.session.rollback()
        state = _state_of(account_id)
        state.backoff_until = now + timedelta(seconds=max(1.0, exc.retry_after))
        state.backoff_reason = f"{LABELS.get(account.platform, account.platform)} rate limit: {exc}"[:500]
        result.errors.append(f"rate limited; backing off until {state.backoff_until.isoformat(timespec='seconds')}")
    except TokenExpired as exc:
        db.session.rollback()
        account = db.session.get(SocialAccount, account_id)
        name = LABELS.get(account.platform, account.platform)
        mark_needs_reconnect(
            account,
            f"{name} rejected the token during collection ({exc}). Reconnect the account.",
            actor=Actor.system("collection"),
        )
        result.errors.append("token rejected: the account must be reconnected")
    except PermissionMissing as exc:
        db.session.rollback()
        result.errors.append(f"permission missing: {exc}"[:500])
    except PlatformError as exc:
        db.session.rollback()
        result.errors.append(f"{type(exc).__name__}: {exc}"[:500])
    except Exception as exc:
        db.session.rollback()
        result.errors.append(f"internal error: {type(exc).__name__}")
        _record(account_id, result, tally, client, now, completed=False)
        raise
    return _record(account_id, result, tally, client, now, completed=completed)


def _run(account: SocialAccount, state: AccountCollectionState, client: Any, tally: walk.Tally, now: datetime) -> None:
    look_back = read_settings(account.workspace.settings).collection_look_back_days
    since = now - timedelta(days=look_back)
    # Plain values: ORM rows expire at each page's commit and would be reloaded one query at a time.
    ref = ingest.AccountRef.collecting(account)
    recent = walk.list_recent_media(client, since)
    seen = walk.media_states(account.id)
    for media in recent:
        tally.media_checked += 1
        if media.id not in seen and media.comments_count == 0:
            walk.remember_quiet_media(ref, media)
            continue
        if not walk.has_changed(seen.get(media.id), media):
            continue
        tally.media_changed += 1
        walk.collect_media(ref, client, media, seen.get(media.id), tally)
    walk.collect_mentions(ref, client, state, tally)


def _record(
    account_id: int, result: CollectionResult, tally: walk.Tally, client: Any, now: datetime, *, completed: bool
) -> CollectionResult:
    result.new_interactions = tally.new_interactions
    result.media_checked, result.media_changed = tally.media_checked, tally.media_changed
    result.pages, result.mentions_new = tally.pages, tally.mentions_new
    result.target_ids = set(tally.target_ids)
    result.api_calls = int(getattr(client, "api_calls", 0) or 0)
    return _finish(account_id, result, now, completed=completed)


def _finish(account_id: int, result: CollectionResult, now: datetime, *, completed: bool) -> CollectionResult:
    state = _state_of(account_id)
    state.last_run_at = now
    state.last_result = result.as_dict() | {"at": now.isoformat(timespec="seconds")}
    if completed:
        state.backoff_until = None
        state.backoff_reason = None
        account = db.session.get(SocialAccount, account_id)
        account.last_collected_at = now
    db.session.commit()
    if result.errors:
        log.warning("collection of account %s: %s", account_id, "; ".join(result.errors))
    return result


# ------------------------------------------------------------------ starting collections


def request_collection(account_id: int, *, actor: Actor, workspace_id: int | None = None) -> JobRun:
    """Start collecting one account now (member; of `workspace_id` if given); on RQ with Redis, else in-process."""
    account = get_scoped(
        SocialAccount, account_id, actor, Role.MEMBER, what="Social account", workspace_id=workspace_id
    )
    require_active(account.workspace)
    if account.status != AccountStatus.CONNECTED.value:
        raise Conflict(_("@%(username)s is not connected; reconnect it first.", username=account.username))
    if account.paused:
        raise Conflict(_("@%(username)s is paused; resume it to collect.", username=account.username))
    workspace_id = account.workspace_id
    db.session.commit()
    return jobs.enqueue(
        JOB_FUNC,
        account_id,
        kind=JOB_KIND,
        queue=jobs.QUEUE_BULK,
        workspace_id=workspace_id,
        requested_by=actor.user_id,
    )


def due_accounts(now: datetime | None = None) -> list[tuple[int, int]]:
    """(workspace id, account id) of every connected, unpaused account of an active workspace not backing off."""
    now = now or utcnow()
    backing_off = sa.select(AccountCollectionState.social_account_id).where(AccountCollectionState.backoff_until > now)
    stmt = (
        sa.select(SocialAccount.workspace_id, SocialAccount.id)
        .join(Workspace, Workspace.id == SocialAccount.workspace_id)
        .where(
            Workspace.suspended_at.is_(None),
            SocialAccount.status == AccountStatus.CONNECTED.value,
            SocialAccount.paused.is_(False),
            SocialAccount.id.not_in(backing_off),
        )
        .order_by(SocialAccount.id)
    )
    return [(row.workspace_id, row.id) for row in db.session.execute(stmt)]


@dataclass
class AccountCollection:
    account: SocialAccount
    state: AccountCollectionState | None
    job: JobRun | None  # the newest collection job still queued or running


def overview(workspace_id: int, *, actor: Actor) -> list[AccountCollection]:
    """Each account of the workspace with its last collection result and any collection in progress."""
    require_role(workspace_id, actor, Role.MEMBER)
    accounts = list(
        db.session.scalars(
            sa.select(SocialAccount).where(SocialAccount.workspace_id == workspace_id).order_by(SocialAccount.id)
        )
    )
    states = {
        s.social_account_id: s
        for s in db.session.scalars(
            sa.select(AccountCollectionState).where(
                AccountCollectionState.social_account_id.in_([a.id for a in accounts])
            )
        )
    }
    running = db.session.scalars(
        sa.select(JobRun)
        .where(
            JobRun.workspace_id == workspace_id,
            JobRun.kind == JOB_KIND,
            JobRun.status.in_([JobStatus.QUEUED.value, JobStatus.RUNNING.value]),
        )
        .order_by(JobRun.created_at.desc())
        .limit(100)
    )
    jobs_by_account: dict[int, JobRun] = {}
    for run in running:
        if run.args:
            jobs_by_account.setdefault(int(run.args[0]), run)
    return [AccountCollection(a, states.get(a.id), jobs_by_account.get(a.id)) for a in accounts]
