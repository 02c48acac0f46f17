"""The scoring weights before issue 26, for the tests that check the formula's mechanics (decay, caps,
SQL against Python) with the numbers they were written with; tests/core/targets/test_personas.py checks
what the defaults mean."""

from __future__ import annotations

from core.scoring.settings import ScoringSettings

LEGACY = ScoringSettings.model_validate(
    {
        "weights": {"message": 25, "story": 15, "intent": 20},
        "group_caps": {"conversation": 60, "intent": 50, "engagement": 35},
    }
)
LEGACY_SETTINGS = LEGACY.model_dump()


def use_legacy(workspace_id: int) -> None:
    """Give a workspace the pre-issue-26 scoring (call in an app context)."""
    from core.db import db
    from core.models import Workspace

    workspace = db.session.get(Workspace, workspace_id)
    workspace.settings = {**(workspace.settings or {}), "scoring": LEGACY_SETTINGS}
    db.session.commit()
