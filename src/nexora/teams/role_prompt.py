"""A team role's instructions in a member's system prompt (`ToolContext.extra[ROLE_KEY]`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ROLE_KEY = "team_role"


def role_prompt(extra: Mapping[str, Any]) -> str:
    instructions = extra.get(ROLE_KEY)
    if not instructions:
        return ""
    return f"<team_role>\nIn this team you act in this role:\n{instructions}\n</team_role>"
