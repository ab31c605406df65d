"""The tools an agent of the caller's org may be allowed: built-in ones and enabled plugins'."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from nexora.api.deps import CurrentActor, DbSession, PlatformDep
from nexora.tools.base import ToolSpec

router = APIRouter(prefix="/api/tools", tags=["tools"])


class ToolPublic(BaseModel):
    name: str = Field(description="What an agent's `tools` list and tool policy name.")
    description: str
    danger: str = Field(
        description="safe, low, medium, high or critical: the level of an ordinary call; "
        "the guards may raise it for a given call."
    )
    source: Literal["builtin", "plugin"]
    input_schema: dict[str, Any]

    @classmethod
    def of(cls, spec: ToolSpec[Any], source: Literal["builtin", "plugin"]) -> ToolPublic:
        return cls(
            name=spec.name,
            description=spec.description,
            danger=spec.danger.label,
            source=source,
            input_schema=spec.input_model.model_json_schema(),
        )


@router.get("", operation_id="listTools")
async def list_tools(actor: CurrentActor, db: DbSession, platform: PlatformDep) -> list[ToolPublic]:
    """MCP servers' tools are not listed: an agent allows a whole server by its name."""
    found = [
        ToolPublic.of(spec, "builtin")
        for name in platform.tools.names()
        if (spec := platform.tools.get(name)) is not None
    ]
    plugin_tools = await platform.plugins.tools_for(db, actor.org_id)
    found += [ToolPublic.of(spec, "plugin") for _, spec in sorted(plugin_tools.items())]
    return found
