"""Real tools for tests: they run through the same registry, policy and guards as built-ins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from nexora.security.verdict import Danger, GuardResult
from nexora.tools.base import ToolContext, ToolSpec


class AddInput(BaseModel):
    a: int = Field(description="first addend")
    b: int = Field(description="second addend")


def add_tool(
    name: str,
    on_call: Callable[[AddInput], None],
    danger: Danger = Danger.SAFE,
    assess: Callable[[AddInput, ToolContext], GuardResult] | None = None,
) -> ToolSpec[Any]:
    async def run(args: AddInput, context: ToolContext) -> str:
        on_call(args)
        return str(args.a + args.b)

    return ToolSpec(
        name=name,
        description="Add two integers.",
        input_model=AddInput,
        danger=danger,
        run=run,
        assess=assess,
    )
