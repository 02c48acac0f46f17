"""Request and response shapes shared by the API modules."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class In(BaseModel):
    """Base of every request body and query: unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class PageQuery(In):
    limit: int = Field(50, ge=1, le=200, description="Items per page (1-200).")
    cursor: str | None = Field(None, max_length=512, description="`next_cursor` from the previous page.")


class PageOut(Out, Generic[T]):
    items: list[T]
    next_cursor: str | None


class UserOut(Out):
    id: int
    email: str
    name: str
    time_zone: str
    is_platform_admin: bool
    email_verified_at: datetime | None = None
    created_at: datetime


class Accepted(Out):
    ok: bool = True
