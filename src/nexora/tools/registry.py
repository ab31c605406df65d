"""Named tools; an agent's `tools` list picks which of them it may call."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nexora.tools.base import ToolSpec


class UnknownTool(ValueError):
    pass


class ToolRegistry:
    def __init__(self) -> None:
        self._tools: dict[str, ToolSpec[Any]] = {}

    def register(self, spec: ToolSpec[Any]) -> None:
        if spec.name in self._tools:
            raise ValueError(f"tool {spec.name!r} is already registered")
        self._tools[spec.name] = spec

    def unregister(self, name: str) -> None:
        self._tools.pop(name, None)

    def names(self) -> list[str]:
        return sorted(self._tools)

    def get(self, name: str) -> ToolSpec[Any] | None:
        return self._tools.get(name)

    def select(self, allowed: Iterable[str]) -> list[ToolSpec[Any]]:
        """The tools an agent may use; a name nobody registered is an error, not a silent gap."""
        chosen = []
        for name in allowed:
            spec = self._tools.get(name)
            if spec is None:
                raise UnknownTool(f"the agent allows tool {name!r}, which is not installed")
            chosen.append(spec)
        return chosen


registry = ToolRegistry()
