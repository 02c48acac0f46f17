"""Who is acting, and through which door."""

from __future__ import annotations

from dataclasses import dataclass

from core.models import Door, User


@dataclass(frozen=True)
class Actor:
    user_id: int | None
    door: Door
    label: str
    is_platform_admin: bool = False

    @classmethod
    def for_user(cls, user: User, door: Door) -> Actor:
        return cls(user_id=user.id, door=door, label=user.email, is_platform_admin=user.is_platform_admin)

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(user_id=None, door=Door.SYSTEM, label=label, is_platform_admin=False)

    @property
    def is_system(self) -> bool:
        return self.door == Door.SYSTEM
