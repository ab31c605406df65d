"""Named tools; an agent's `tools` list picks which of them it may call."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic_ai import Tool
    from pydantic_ai.toolsets import FunctionToolset


class UnknownTool(ValueError):
    pass


class ToolRegistry:
    def __init__(self) -> None:
        self._tools: dict[str, Tool[Any]] = {}

    def register(self, tool: Tool[Any] | Callable[..., Any], name: str | None = None) -> None:
        from pydantic_ai import Tool

        built = tool if isinstance(tool, Tool) else Tool(tool, name=name)
        if built.name in self._tools:
            raise ValueError(f"tool {built.name!r} is already registered")
        self._tools[built.name] = built

    def unregister(self, name: str) -> None:
        self._tools.pop(name, None)

    def names(self) -> list[str]:
        return sorted(self._tools)

    def toolset(self, allowed: Iterable[str]) -> FunctionToolset[Any]:
        """The tools an agent may use; a name nobody registered is an error, not a silent gap."""
        from pydantic_ai.toolsets import FunctionToolset

        tools = []
        for name in allowed:
            if name not in self._tools:
                raise UnknownTool(f"the agent allows tool {name!r}, which is not installed")
            tools.append(self._tools[name])
        return FunctionToolset(tools)


registry = ToolRegistry()
