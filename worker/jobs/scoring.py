"""Scoring jobs: rescore one workspace, or every active workspace (the hourly decay pass)."""

from __future__ import annotations

from core.services.automations import runner as automations
from core.services.targets import hot_path
from core.services.targets.rescore import rescore_workspace as rescore
from core.services.workspaces.status import active_workspace_ids, is_active


def rescore_workspace(workspace_id: int, full: bool = False) -> dict[str, int]:
    """Rescore a workspace's targets (all of them, or only those with new interactions)."""
    if not is_active(workspace_id):
        return {"skipped": 1}
    return rescore(workspace_id, full=full).as_dict()


def rescore_flagged(workspace_id: int) -> dict[str, int]:
    """Rescore the targets webhooks just flagged, so a crossing reaches Slack and Telegram in seconds, then meet
    the new comments with the workspace's automations."""
    hot_path.starting(workspace_id)
    if not is_active(workspace_id):
        return {"skipped": 1}
    counts = rescore(workspace_id, full=False).as_dict()
    return counts | automations.after_rescore(workspace_id)


def rescore_all_workspaces() -> dict[str, int]:
    """Full rescore of every active workspace, so decay lowers scores nobody touched."""
    totals = {"workspaces": 0, "scored": 0, "became_hot": 0, "left_hot": 0}
    for workspace_id in active_workspace_ids():
        result = rescore(workspace_id, full=True)
        totals["workspaces"] += 1
        totals["scored"] += result.scored
        totals["became_hot"] += result.became_hot
        totals["left_hot"] += result.left_hot
    return totals
