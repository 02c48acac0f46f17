"""A workspace's settings: one validated document, defaults filled in, unknown keys refused.

Later features add their fields here; stored settings are re-validated on read so a new
default shows up without a data migration.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import Invalid


class WorkspaceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_daily_dm_quota: int = Field(50, ge=1, le=1000, description="DMs per social account per day.")
    collection_look_back_days: int = Field(30, ge=1, le=365, description="How far back collection reads.")
    auto_lead_from_hot: bool = Field(False, description="Make a lead of every target that becomes hot.")


def read(stored: dict[str, Any] | None) -> WorkspaceSettings:
    # Keys dropped from the model since they were stored are ignored rather than fatal.
    known = {k: v for k, v in (stored or {}).items() if k in WorkspaceSettings.model_fields}
    return WorkspaceSettings.model_validate(known)


def merge(stored: dict[str, Any] | None, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply a partial update and validate the result; Invalid names each bad key as settings.<key>."""
    merged = read(stored).model_dump() | dict(changes)
    try:
        return WorkspaceSettings.model_validate(merged).model_dump()
    except ValidationError as exc:
        fields = {
            "settings." + ".".join(str(p) for p in err["loc"]): err["msg"] for err in exc.errors(include_url=False)
        }
        raise Invalid("Some settings are not valid.", fields=fields) from None
