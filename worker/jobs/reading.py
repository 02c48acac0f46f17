"""Reading jobs: retrain a workspace's intent and opt-out reader from the labels its team gave."""

from __future__ import annotations

from core.services.reading import versions


def retrain_reader(workspace_id: int) -> dict[str, int]:
    """Train and activate a new reader version when the workspace's labels changed since the last one."""
    version = versions.retrain(workspace_id)
    return {"version": version.version, "labels": version.labels} if version else {"unchanged": 1}
