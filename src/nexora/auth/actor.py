"""The authenticated identity every scoped operation runs as."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Role(StrEnum):
    """Per-org roles, from least to most authority."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Role.VIEWER: 0, Role.OPERATOR: 1, Role.ADMIN: 2}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting, in which organization; there is never a default one."""

    user_id: str
    username: str
    org_id: str
    role: Role
    platform_admin: bool
    # "channel": a chat-app user mapped to this user; "schedule": a scheduled job's owner.
    via: Literal["token", "api_key", "local", "channel", "schedule"]
    session_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def author_id(self) -> str | None:
        """Who to record as a row's creator: the user, or nobody for the local CLI, which
        acts as the org's admin without being one of its users."""
        return None if self.via == "local" else self.user_id

    def may_manage_org(self, org_id: str) -> bool:
        """Org admins manage their own org; the platform admin manages every org."""
        return self.platform_admin or (self.is_admin and org_id == self.org_id)
