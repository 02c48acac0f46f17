"""Reading a workspace's interactions: validated filters, newest first, keyset pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from core.errors import Invalid, NotFound
from core.i18n import _
from core.models import Interaction, InteractionKind, Role, SocialAccount
from core.pagination import Page, paginate
from core.services.identity.access import get_scoped, require_role
from core.services.identity.actors import Actor
from core.text_search import contains
from core.validation import clean_instant

KINDS = [k.value for k in InteractionKind]
MAX_TEXT_FILTER = 200


@dataclass
class Filters:
    account_id: int | None = None
    kind: str | None = None
    author: str | None = None
    q: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _instant(value: datetime | None, field: str, fields: dict[str, str]) -> datetime | None:
    try:
        return clean_instant(value, field)
    except Invalid as exc:
        fields.update(exc.fields)
        return None


def _check(workspace_id: int, filters: Filters, actor: Actor) -> Filters:
    fields: dict[str, str] = {}
    if filters.kind is not None and filters.kind not in KINDS:
        fields["kind"] = "One of: " + ", ".join(KINDS) + "."
    author = (filters.author or "").strip().lstrip("@") or None
    q = (filters.q or "").strip() or None
    if author and len(author) > 120:
        fields["author"] = "At most 120 characters."
    if q and len(q) > MAX_TEXT_FILTER:
        fields["q"] = f"At most {MAX_TEXT_FILTER} characters."
    since, until = _instant(filters.since, "since", fields), _instant(filters.until, "until", fields)
    if since and until and since > until:
        fields["until"] = "Must not be before `since`."
    if fields:
        raise Invalid(_("Some filters are not valid."), fields=fields)
    if filters.account_id is not None:
        account = get_scoped(SocialAccount, filters.account_id, actor, Role.MEMBER, what="Social account")
        if account.workspace_id != workspace_id:
            raise NotFound(_("Social account not found."))
    return Filters(filters.account_id, filters.kind, author, q, since, until)


def page_for(
    workspace_id: int,
    *,
    actor: Actor,
    filters: Filters | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page:
    """A page of the workspace's interactions matching `filters`, newest first (member)."""
    require_role(workspace_id, actor, Role.MEMBER)
    f = _check(workspace_id, filters or Filters(), actor)
    stmt = sa.select(Interaction).where(Interaction.workspace_id == workspace_id)
    if f.account_id is not None:
        stmt = stmt.where(Interaction.social_account_id == f.account_id)
    if f.kind:
        stmt = stmt.where(Interaction.kind == f.kind)
    if f.author:
        stmt = stmt.where(
            sa.or_(
                sa.func.lower(Interaction.author_username) == f.author.lower(),
                Interaction.author_platform_id == f.author,
            )
        )
    if f.q:
        stmt = stmt.where(contains(f.q, Interaction.text))
    if f.since:
        stmt = stmt.where(Interaction.occurred_at >= f.since)
    if f.until:
        stmt = stmt.where(Interaction.occurred_at <= f.until)
    return paginate(stmt, [Interaction.occurred_at, Interaction.id], cursor=cursor, limit=limit, descending=True)
