"""Named tools; an agent's `tools` list picks which of them it may call."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from nexora.tools.base import ToolSpec


class UnknownTool(ValueError):
    pass


ToolSource = Callable[[], Iterable[ToolSpec[Any]]]


class ToolRegistry:
    def __init__(self, *sources: ToolSource) -> None:
        self._tools: dict[str, ToolSpec[Any]] = {}
        # Loaded on first use: the built-in tools import a lot, and a server starts without them.
        self._sources = list(sources)

    def _load(self) -> None:
        while self._sources:
            for spec in self._sources.pop(0)():
                self.register(spec)

    def register(self, spec: ToolSpec[Any]) -> None:
        if spec.name in self._tools:
            raise ValueError(f"tool {spec.name!r} is already registered")
        self._tools[spec.name] = spec

    def unregister(self, name: str) -> None:
        self._tools.pop(name, None)

    def names(self) -> list[str]:
        self._load()
        return sorted(self._tools)

    def get(self, name: str) -> ToolSpec[Any] | None:
        self._load()
        return self._tools.get(name)

    def select(
        self, allowed: Iterable[str], also: Mapping[str, ToolSpec[Any]] | None = None
    ) -> list[ToolSpec[Any]]:
        """The tools an agent may use, from this registry or `also` (an org's plugin tools);
        a name nobody registered is an error, not a silent gap."""
        self._load()
        chosen = []
        for name in allowed:
            spec = self._tools.get(name) or (also or {}).get(name)
            if spec is None:
                raise UnknownTool(f"the agent allows tool {name!r}, which is not installed")
            chosen.append(spec)
        return chosen


def builtin_tools() -> list[ToolSpec[Any]]:
    from nexora.memory.tools import MEMORY_TOOLS
    from nexora.skills.tool import LOAD_SKILL
    from nexora.tools.builtin import BUILTIN_TOOLS

    return [*BUILTIN_TOOLS.values(), LOAD_SKILL, *MEMORY_TOOLS]


registry = ToolRegistry(builtin_tools)
