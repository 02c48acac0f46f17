"""A workspace's settings: one validated document, defaults filled in, unknown keys refused.

Later features add their fields here; stored settings are re-validated on read so a new
default shows up without a data migration.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import Invalid
from core.field_errors import field_message
from core.i18n import _
from core.scoring.settings import ScoringSettings


class CalibrationState(BaseModel):
    """What the last calibration on outcomes left: the reply curve and the weights an "apply" replaced."""

    model_config = ConfigDict(extra="forbid")

    reply_curve: list[list[float]] = Field(default_factory=list, description="[score, P(reply in 72 h)] steps.")
    fitted_at: str | None = None
    outcomes: int = 0
    previous_weights: dict[str, float] | None = None


class WorkspaceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default_daily_dm_quota: int = Field(50, ge=1, le=1000, description="DMs per social account per day.")
    collection_look_back_days: int = Field(30, ge=1, le=365, description="How far back collection reads.")
    auto_lead_from_hot: bool = Field(False, description="Make a lead of every target that becomes hot.")
    raw_payload_retention_days: int = Field(90, ge=1, le=3650, description="Days raw platform payloads are kept.")
    default_template_id: int | None = Field(None, description="DM template drafted for targets that become hot.")
    language_templates: dict[Literal["en", "fr", "es", "de", "it", "pt"], int | None] = Field(
        default_factory=dict,
        description="Template drafted for a hot person who writes in that language; the default template for others.",
    )
    dm_min_gap_seconds: int = Field(30, ge=0, le=3600, description="Minimum seconds between two DMs of an account.")
    dm_gap_jitter_seconds: int = Field(15, ge=0, le=600, description="Random extra seconds added to the DM gap.")
    meta_human_agent: bool = Field(
        False,
        description="Meta granted this app the human-agent permission: a person may answer up to 7 days "
        "after the person's last message (HUMAN_AGENT tag).",
    )
    default_locale: Literal["en", "fr"] = Field(
        "en", description="Language of members who chose none and whose browser asks for none."
    )
    scoring: ScoringSettings = Field(default_factory=ScoringSettings, description="Interest score weights and caps.")
    calibration: CalibrationState = Field(default_factory=CalibrationState, description="Score calibrated on outcomes.")


def read(stored: dict[str, Any] | None) -> WorkspaceSettings:
    # Keys dropped from the model since they were stored are ignored rather than fatal.
    known = {k: v for k, v in (stored or {}).items() if k in WorkspaceSettings.model_fields}
    return WorkspaceSettings.model_validate(known)


def merge(stored: dict[str, Any] | None, changes: dict[str, Any]) -> dict[str, Any]:
    """Apply a partial update and validate the result; Invalid names each bad key as settings.<key>."""
    merged = _deep_merge(read(stored).model_dump(), dict(changes))
    try:
        return WorkspaceSettings.model_validate(merged).model_dump()
    except ValidationError as exc:
        fields = {
            "settings." + ".".join(str(p) for p in err["loc"]): field_message(err)
            for err in exc.errors(include_url=False)
        }
        raise Invalid(_("Some settings are not valid."), fields=fields) from None


def _deep_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    # A nested section (e.g. scoring) is patched key by key, not replaced by the partial dict.
    merged = dict(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged
