"""DM templates: `{{variable}}` placeholders, validated where they are written, and their CRUD."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.db import db, utcnow
from core.errors import Conflict, Invalid
from core.i18n import _
from core.intent.language import LANGUAGES
from core.models import (
    AutomationRule,
    AutomationVariant,
    DmTemplate,
    Interaction,
    Role,
    Sequence,
    SocialAccount,
    Target,
    Workspace,
)
from core.pagination import Page, paginate
from core.services import audit
from core.services.identity.access import get_scoped, require_active, require_role
from core.services.identity.actors import Actor
from core.services.workspaces.settings import read as read_settings
from core.validation import clean_name

MAX_TEXT = 1000  # Instagram's limit for one message
MAX_BODY = 5000
EXCERPT = 80
VARIABLES = ("username", "post_url", "comment_excerpt", "account_name")
UNCHANGED: Any = object()
PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.S)


def _where(body: str, offset: int) -> str:
    line = body.count("\n", 0, offset) + 1
    column = offset - (body.rfind("\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def check_body(body: str, field: str = "body") -> str:
    """Refuse unknown variables (naming where they are) and over-long bodies."""
    if not isinstance(body, str) or not body.strip():
        raise Invalid(_("The template is empty."), fields={field: _("Write the message text.")})
    if len(body) > MAX_BODY:
        raise Invalid(
            _("The template is too long."), fields={field: _("Use at most %(max_body)s characters.", max_body=MAX_BODY)}
        )
    for match in PLACEHOLDER.finditer(body):
        name = match.group(1).strip()
        if name not in VARIABLES:
            known = ", ".join("{{" + v + "}}" for v in VARIABLES)
            raise Invalid(
                _("Unknown variable %(match)s at %(value)s.", match=match.group(0), value=_where(body, match.start())),
                fields={
                    field: _(
                        "Unknown variable %(match)s at %(value)s; use %(known)s.",
                        match=match.group(0),
                        value=_where(body, match.start()),
                        known=known,
                    )
                },
            )
    return body


def check_text(text: str, field: str = "text") -> str:
    """A final message: not empty and within the platform's limit."""
    text = (text or "").strip()
    if not text:
        raise Invalid(_("The message is empty."), fields={field: _("Write the message text.")})
    if "\x00" in text:
        # PostgreSQL cannot store a NUL, and no platform would deliver one.
        raise Invalid(_("The message holds a NUL character."), fields={field: _("Remove the NUL character.")})
    if len(text) > MAX_TEXT:
        raise Invalid(
            _(
                "The message is %(value)s characters; Instagram allows %(max_text)s.",
                value=format(len(text), ","),
                max_text=format(MAX_TEXT, ","),
            ),
            fields={
                field: _(
                    "%(value)s characters after rendering, over the %(max_text)s limit (from character %(value2)s on).",
                    value=format(len(text), ","),
                    max_text=format(MAX_TEXT, ","),
                    value2=format(MAX_TEXT + 1, ","),
                )
            },
        )
    return text


def render(body: str, values: dict[str, str], field: str = "body") -> str:
    """Fill the placeholders; Invalid when a variable is unknown or the result is over the limit."""
    check_body(body, field)
    text = PLACEHOLDER.sub(lambda m: values.get(m.group(1).strip(), ""), body)
    return check_text(text, field)


def latest_comment(target: Target) -> Interaction | None:
    return db.session.scalar(
        select(Interaction)
        .where(Interaction.target_id == target.id, Interaction.kind.in_(("comment", "reply")))
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(1)
    )


def values_for(target: Target, account: SocialAccount, comment: Interaction | None = None) -> dict[str, str]:
    """The variables' values for one person (the given comment, else their latest one)."""
    comment = comment or latest_comment(target)
    text = " ".join(((comment.text if comment else "") or "").split())
    excerpt = text if len(text) <= EXCERPT else text[: EXCERPT - 1].rstrip() + "…"
    return {
        "username": f"@{target.username}" if target.username else "there",
        "post_url": (comment.media_permalink if comment else None) or "",
        "comment_excerpt": excerpt,
        "account_name": f"@{account.username}",
    }


# ---------------------------------------------------------------- CRUD


@dataclass
class Preview:
    text: str
    length: int
    values: dict[str, str]


def page_for(workspace_id: int, *, actor: Actor, cursor: str | None = None, limit: int | None = None) -> Page:
    """A page of the workspace's templates, oldest first."""
    require_role(workspace_id, actor)
    stmt = select(DmTemplate).where(DmTemplate.workspace_id == workspace_id)
    return paginate(stmt, [DmTemplate.id], cursor=cursor, limit=limit)


def names(workspace_id: int, *, actor: Actor) -> dict[int, str]:
    """Every template's name by id, to label sequence steps."""
    require_role(workspace_id, actor)
    rows = db.session.execute(select(DmTemplate.id, DmTemplate.name).where(DmTemplate.workspace_id == workspace_id))
    return dict(rows.tuples().all())


# What a template preview shows before the workspace has any Instagram target.
SAMPLE_VALUES = {
    "username": "@someone",
    "post_url": "https://www.instagram.com/p/example/",
    "comment_excerpt": "love this, how much?",
    "account_name": "@your_shop",
}


def sample_values(workspace_id: int, *, actor: Actor) -> dict[str, str]:
    """Values to preview templates with: the workspace's highest-scored Instagram target's, or made-up ones."""
    require_role(workspace_id, actor)
    sample = db.session.scalar(
        select(Target)
        .where(Target.workspace_id == workspace_id, Target.platform == "instagram")
        .order_by(Target.score.desc(), Target.id)
        .limit(1)
    )
    if sample is None:
        return dict(SAMPLE_VALUES)
    return values_for(sample, db.session.get(SocialAccount, sample.social_account_id))


def get(template_id: int, *, actor: Actor, workspace_id: int | None = None) -> DmTemplate:
    """One template the actor may see (of `workspace_id` when given); NotFound otherwise."""
    return get_scoped(DmTemplate, template_id, actor, what="Template", workspace_id=workspace_id)


def _save(template: DmTemplate, actor: Actor, action: str) -> DmTemplate:
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Invalid(_("A template with this name exists."), fields={"name": _("Choose another name.")}) from None
    audit.record(
        actor,
        action,
        workspace_id=template.workspace_id,
        subject_type="dm_template",
        subject_id=template.id,
        details={"name": template.name},
    )
    db.session.commit()
    return template


def check_language(language: str | None) -> str | None:
    """One of the six languages a template can be written in, or None (any)."""
    if language in (None, ""):
        return None
    if language not in LANGUAGES:
        raise Invalid(
            _("Unknown language."), fields={"language": _("One of: %(choices)s", choices=", ".join(LANGUAGES))}
        )
    return language


def create(workspace_id: int, *, actor: Actor, name: str, body: str, language: str | None = None) -> DmTemplate:
    """Add a template (any member)."""
    require_active(require_role(workspace_id, actor))
    template = DmTemplate(
        workspace_id=workspace_id,
        name=clean_name(name),
        body=check_body(body),
        language=check_language(language),
        created_by_user_id=actor.user_id,
    )
    db.session.add(template)
    return _save(template, actor, "dm_template.created")


def update(
    template_id: int,
    *,
    actor: Actor,
    name: str | None = None,
    body: str | None = None,
    language: Any = UNCHANGED,
    workspace_id: int | None = None,
) -> DmTemplate:
    """Rename or rewrite a template (of `workspace_id` when given); DMs already drafted keep their text."""
    template = get(template_id, actor=actor, workspace_id=workspace_id)
    require_active(db.session.get(Workspace, template.workspace_id))
    if name is not None:
        template.name = clean_name(name)
    if body is not None:
        template.body = check_body(body)
    if language is not UNCHANGED:
        template.language = check_language(language)
    template.updated_at = utcnow()
    return _save(template, actor, "dm_template.updated")


def delete(template_id: int, *, actor: Actor, workspace_id: int | None = None) -> None:
    """Delete a template unless it is the default for hot targets or a sequence step (admin or owner)."""
    template = get_scoped(DmTemplate, template_id, actor, Role.ADMIN, what="Template", workspace_id=workspace_id)
    workspace = require_active(db.session.get(Workspace, template.workspace_id))
    if read_settings(workspace.settings).default_template_id == template.id:
        raise Conflict(_("This is the workspace's default template for hot targets; choose another default first."))
    for sequence in db.session.scalars(select(Sequence).where(Sequence.workspace_id == workspace.id)):
        if any(step.get("template_id") == template.id for step in sequence.steps or []):
            raise Conflict(_("The sequence “%(name)s” uses this template; change it first.", name=sequence.name))
    rule = db.session.scalar(
        select(AutomationRule.name)
        .join(AutomationVariant, AutomationVariant.rule_id == AutomationRule.id)
        .where(AutomationVariant.template_id == template.id, AutomationVariant.removed_at.is_(None))
        .limit(1)
    )
    if rule is not None:
        raise Conflict(_("The automation “%(name)s” uses this template; change it first.", name=rule))
    audit.record(
        actor,
        "dm_template.deleted",
        workspace_id=workspace.id,
        subject_type="dm_template",
        subject_id=template.id,
        details={"name": template.name},
    )
    by_language = read_settings(workspace.settings).language_templates
    if template.id in by_language.values():
        # People of that language get the default template from now on.
        kept = {language: (None if tid == template.id else tid) for language, tid in by_language.items()}
        workspace.settings = {**workspace.settings, "language_templates": kept}
    db.session.delete(template)
    db.session.commit()


def preview(template_id: int, target_id: int, *, actor: Actor) -> Preview:
    """Render a template for one target of the same workspace (Invalid when it cannot be sent as is)."""
    template = get(template_id, actor=actor)
    target = get_scoped(Target, target_id, actor, what="Target")
    if target.workspace_id != template.workspace_id:
        raise Invalid(_("The target is not in the template's workspace."), fields={"targetId": _("Unknown target.")})
    values = values_for(target, db.session.get(SocialAccount, target.social_account_id))
    text = render(template.body, values)
    return Preview(text=text, length=len(text), values=values)
