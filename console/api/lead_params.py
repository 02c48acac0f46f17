"""Lead list/export query parameters, validated once for the API and the console pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, ValidationError, ValidationInfo, field_validator

from console.api.schemas import In
from console.api.spec import validation_fields
from core.errors import Invalid
from core.i18n import _
from core.models import LeadStatus, Platform
from core.services.identity.actors import Actor
from core.services.leads.queries import LeadFilters, LeadSort
from core.validation import clean_instant

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _split(value: Any) -> Any:
    # ?status=new,contacted and ?status=new&status=contacted mean the same.
    if value in (None, ""):
        return None
    values = value if isinstance(value, list) else [value]
    return [part.strip() for item in values for part in str(item).split(",") if part.strip()]


def _blank_none(value: Any) -> Any:
    # An empty field of the console's filter form means "any".
    return None if value == "" else value


Blank = BeforeValidator(_blank_none)


class LeadFilterQuery(In):
    status: Annotated[list[LeadStatus] | None, BeforeValidator(_split)] = Field(
        None, description="One or more statuses, comma-separated or repeated."
    )
    owner: Annotated[str | None, Blank] = Field(
        None, max_length=20, pattern=r"^(\d{1,9}|me|none)$", description="A user id, `me`, or `none` (unassigned)."
    )
    tag: Annotated[str | None, Blank] = Field(None, max_length=50)
    min_score: Annotated[int | None, Blank] = Field(None, ge=0, le=100)
    platform: Annotated[Platform | None, Blank] = None
    account: Annotated[int | None, Blank] = Field(None, ge=1, description="A social account id.")
    q: Annotated[str | None, Blank] = Field(None, max_length=100, description="Text in the username or notes.")
    created_from: Annotated[datetime | None, Blank] = Field(None, description="ISO 8601 date or date-time.")
    created_to: Annotated[datetime | None, Blank] = None
    updated_from: Annotated[datetime | None, Blank] = None
    updated_to: Annotated[datetime | None, Blank] = None
    sort: Annotated[Literal["score", "updated", "created"], Blank] = "updated"
    direction: Annotated[Literal["asc", "desc"], Blank] = "desc"

    @field_validator("created_to", "updated_to", mode="before")
    @classmethod
    def _end_of_day(cls, value: Any) -> Any:
        # A bare date as the upper bound includes that whole day.
        if isinstance(value, str) and _DATE_ONLY.match(value):
            return datetime.combine(datetime.fromisoformat(value).date(), time.max, UTC)
        return value

    @field_validator("created_from", "created_to", "updated_from", "updated_to")
    @classmethod
    def _utc(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        try:
            return clean_instant(value, info.field_name or "date")
        except Invalid as exc:
            raise ValueError(next(iter(exc.fields.values()))) from None

    def filters(self, actor: Actor) -> LeadFilters:
        owner: int | None = None
        if self.owner == "me":
            owner = actor.user_id
        elif self.owner not in (None, "none"):
            owner = int(self.owner)
        return LeadFilters(
            statuses=list(self.status or []),
            owner=owner,
            unassigned=self.owner == "none",
            tag=self.tag,
            min_score=self.min_score,
            platform=self.platform.value if self.platform else None,
            account_id=self.account,
            q=self.q,
            created_from=self.created_from,
            created_to=self.created_to,
            updated_from=self.updated_from,
            updated_to=self.updated_to,
        )

    def lead_sort(self) -> LeadSort:
        return LeadSort(by=self.sort, descending=self.direction == "desc")


class LeadListQuery(LeadFilterQuery):
    limit: Annotated[int, Blank] = Field(50, ge=1, le=200)
    cursor: Annotated[str | None, Blank] = Field(None, max_length=512)


def parse_args(model: type[LeadFilterQuery], args: Any) -> LeadFilterQuery:
    """Validate a MultiDict of query arguments (the console's GET forms) like the API does."""
    raw: dict[str, Any] = {}
    for key in args:
        if key in model.model_fields:
            values = args.getlist(key)
            raw[key] = values if len(values) > 1 else values[0]
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise Invalid(_("Some filters are not valid."), fields=validation_fields(exc)) from None


class LeadExportQuery(LeadFilterQuery):
    format: Literal["standard", "excel_fr"] = Field(
        "standard",
        description="`standard`: comma-separated UTF-8; `excel_fr`: UTF-8 with a byte order mark, `;` "
        "between cells and decimal commas, which a French Excel opens as is.",
    )
