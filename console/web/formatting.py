"""Template filters: dates in the workspace's (or user's) time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, g


def local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return "—"
    workspace = g.get("workspace")
    zone = ZoneInfo(workspace.time_zone) if workspace is not None else ZoneInfo("UTC")
    return value.astimezone(zone).strftime(fmt)


def init_app(app: Flask) -> None:
    app.add_template_filter(local_time, "local_time")
