"""Reading jobs: retrain a workspace's intent and opt-out reader from the labels its team gave, and read its recent
interactions again with the version now active."""

from __future__ import annotations

from core.services.reading import rereading, versions


def retrain_reader(workspace_id: int) -> dict[str, int]:
    """Train and activate a new reader version when the workspace's labels changed, then read the recent
    interactions again with it."""
    version = versions.retrain(workspace_id)
    if version is None:
        return {"unchanged": 1}
    return {"version": version.version, "labels": version.labels} | rereading.read_again(workspace_id)


def read_again(workspace_id: int) -> dict[str, int]:
    """Read the workspace's recent interactions again with its active reader version (after a rollback)."""
    return rereading.read_again(workspace_id)
