"""The score checked against outcomes: reply and win rates per band, suggested weights, apply and undo.

Outcomes come from the workspace's own history: each DM sent at least 72 h ago (or already answered)
is a reply outcome (replied within 72 h or not); each lead won or lost is a win outcome. The score of
an outcome is recomputed with the current settings from the person's interactions before it started
(the DM's send, the lead's creation), so nothing that happened after counts. The fit needs
calibration.MIN_REPLY_OUTCOMES reply outcomes (20 of each kind); before that the page shows the
rates with their intervals and suggests nothing, and no card says "likely to reply".
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from core.db import db, utcnow
from core.errors import Conflict
from core.i18n import _
from core.models import DirectMessage, Interaction, Lead, Role
from core.scoring import calibration as calib
from core.scoring import formula
from core.scoring.settings import SIGNALS, ScoringSettings
from core.services import audit
from core.services.identity.access import require_active, require_role
from core.services.identity.actors import Actor
from core.services.workspaces.settings import merge
from core.services.workspaces.settings import read as read_settings

MAX_OUTCOMES = 20000  # the most recent ones; enough for a stable fit, bounded work per page view


def _history(
    workspace_id: int, now: datetime
) -> tuple[list[tuple[int, datetime, bool]], list[tuple[int, datetime, bool]]]:
    window = timedelta(hours=calib.REPLY_WINDOW_HOURS)
    dms = db.session.execute(
        sa.select(DirectMessage.target_id, DirectMessage.sent_at, DirectMessage.replied_at)
        .where(DirectMessage.workspace_id == workspace_id, DirectMessage.sent_at.is_not(None))
        .order_by(DirectMessage.sent_at.desc())
        .limit(MAX_OUTCOMES)
    ).all()
    replies = [
        (t, sent, replied is not None and replied - sent <= window)
        for t, sent, replied in dms
        if replied is not None or sent <= now - window  # a DM still inside its 72 h is no outcome yet
    ]
    leads = db.session.execute(
        sa.select(Lead.target_id, Lead.created_at, Lead.status)
        .where(Lead.workspace_id == workspace_id, Lead.status.in_(("won", "lost")))
        .order_by(Lead.created_at.desc())
        .limit(MAX_OUTCOMES)
    ).all()
    return replies, [(t, created, status == "won") for t, created, status in leads]


def _facts(workspace_id: int, target_ids: set[int]) -> dict[int, list[formula.Fact]]:
    facts: dict[int, list[formula.Fact]] = defaultdict(list)
    ids = sorted(target_ids)
    for start in range(0, len(ids), 5000):
        rows = db.session.execute(
            sa.select(
                Interaction.target_id,
                Interaction.kind,
                Interaction.occurred_at,
                Interaction.has_intent,
                Interaction.is_opt_out,
                Interaction.is_hidden,
                Interaction.media_id,
                Interaction.intent_reason,
            ).where(Interaction.workspace_id == workspace_id, Interaction.target_id.in_(ids[start : start + 5000]))
        )
        for target_id, *fields in rows:
            facts[target_id].append(formula.Fact(*fields))
    return facts


def observations(workspace_id: int, settings: ScoringSettings, now: datetime | None = None) -> tuple[list, list]:
    """(reply outcomes, win outcomes) as calibration observations scored with `settings`."""
    now = now or utcnow()
    replies, wins = _history(workspace_id, now)
    facts = _facts(workspace_id, {t for t, _, _ in replies} | {t for t, _, _ in wins})

    def observe(target_id: int, at: datetime, success: bool) -> calib.Observation:
        before = [f for f in facts.get(target_id, []) if f.occurred_at < at]
        scored = formula.compute(before, settings, at)
        hot = formula.is_hot_after(scored.score, False, settings)
        return calib.Observation(scored.breakdown, scored.score, hot, success)

    return [observe(*r) for r in replies], [observe(*w) for w in wins]


def report(workspace_id: int, *, actor: Actor) -> dict[str, Any]:
    """Reply and win rates hot vs not hot and per score band (counts, 95% intervals), suggested weights."""
    workspace = require_role(workspace_id, actor, Role.MEMBER)
    settings = read_settings(workspace.settings)
    replies, wins = observations(workspace_id, settings.scoring)
    reply_fit = calib.fit(replies, settings.scoring, minimum=calib.MIN_REPLY_OUTCOMES, per_class=calib.MIN_PER_CLASS)
    win_enough = calib.enough(wins, calib.MIN_WIN_OUTCOMES, calib.MIN_WIN_PER_CLASS)
    current = {s: float(getattr(settings.scoring.weights, s)) for s in SIGNALS}
    return {
        "workspace_id": workspace_id,
        "reply": {
            "window_hours": calib.REPLY_WINDOW_HOURS,
            "outcomes": len(replies),
            "needed": calib.MIN_REPLY_OUTCOMES,
            "enough": reply_fit.enough,
            "hot_vs_not": [r.as_dict() for r in calib.hot_rates(replies)],
            "bands": [r.as_dict() for r in calib.band_rates(replies)],
        },
        "win": {
            "outcomes": len(wins),
            "needed": calib.MIN_WIN_OUTCOMES,
            "enough": win_enough,
            "hot_vs_not": [r.as_dict() for r in calib.hot_rates(wins)],
            "bands": [r.as_dict() for r in calib.band_rates(wins)],
        },
        "current_weights": current,
        "suggested_weights": reply_fit.suggested_weights or None,
        "calibrated": bool(settings.calibration.reply_curve),
        "fitted_at": settings.calibration.fitted_at,
        "can_undo": settings.calibration.previous_weights is not None,
    }


def _store(workspace, weights: dict[str, float], previous: dict[str, float] | None) -> dict[str, Any]:
    """New weights, and the reply curve refitted on the scores those weights give."""
    candidate = read_settings(merge(workspace.settings, {"scoring": {"weights": weights}}))
    replies, _wins = observations(workspace.id, candidate.scoring)
    curve = calib.reply_curve(replies) if replies else []
    workspace.settings = merge(
        workspace.settings,
        {
            "scoring": {"weights": weights},
            "calibration": {
                "reply_curve": curve,
                "fitted_at": utcnow().isoformat(),
                "outcomes": len(replies),
                "previous_weights": previous,
            },
        },
    )
    return workspace.settings


def apply_suggested(workspace_id: int, *, actor: Actor) -> dict[str, Any]:
    """Replace the weights with the suggested ones (owner only, audited, undoable); never done automatically."""
    workspace = require_active(require_role(workspace_id, actor, Role.OWNER))
    settings = read_settings(workspace.settings)
    replies, _wins = observations(workspace_id, settings.scoring)
    fitted = calib.fit(replies, settings.scoring, minimum=calib.MIN_REPLY_OUTCOMES, per_class=calib.MIN_PER_CLASS)
    if not fitted.enough:
        raise Conflict(
            _(
                "Not enough outcomes yet: %(known)s of %(needed)s DMs with a known reply.",
                known=len(replies),
                needed=calib.MIN_REPLY_OUTCOMES,
            )
        )
    before = settings.scoring.weights.model_dump()
    _store(workspace, fitted.suggested_weights, before)
    audit.record(
        actor,
        "scoring.calibration_applied",
        workspace_id=workspace_id,
        subject_type="workspace",
        subject_id=workspace_id,
        details={"before": before, "after": fitted.suggested_weights, "outcomes": len(replies)},
    )
    db.session.commit()
    return {"weights": fitted.suggested_weights, "previous_weights": before}


def undo(workspace_id: int, *, actor: Actor) -> dict[str, Any]:
    """Put back the weights the last apply replaced (owner only, audited)."""
    workspace = require_active(require_role(workspace_id, actor, Role.OWNER))
    settings = read_settings(workspace.settings)
    previous = settings.calibration.previous_weights
    if previous is None:
        raise Conflict(_("There is no applied calibration to undo."))
    replaced = settings.scoring.weights.model_dump()
    _store(workspace, previous, None)
    audit.record(
        actor,
        "scoring.calibration_undone",
        workspace_id=workspace_id,
        subject_type="workspace",
        subject_id=workspace_id,
        details={"before": replaced, "after": previous},
    )
    db.session.commit()
    return {"weights": previous}


def likely_to_reply(settings_doc: dict[str, Any] | None, score: int) -> int | None:
    """ "4" for "likely to reply: 4 in 10", once the workspace is calibrated; None before."""
    curve = read_settings(settings_doc).calibration.reply_curve
    return calib.in_ten(calib.probability(curve, score)) if curve else None
