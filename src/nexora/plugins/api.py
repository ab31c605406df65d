"""What a plugin is, and what it may add: tools, model providers and channels (chat platforms).

A plugin is an object (or a class, instantiated without arguments) exposed under the
`nexora.plugins` entry point group, with a `name`, a `version` and `register(api)`. Everything
it registers is named `<plugin>__<name>`, so it can never replace a built-in tool, a known
provider or another plugin's additions, and an agent's `tools` list says whose tool it uses.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from nexora.channels.base import AnyAdapter
from nexora.tools.base import ToolSpec

if TYPE_CHECKING:
    from pydantic_ai.models import Model

SEPARATOR = "__"
NAME_PATTERN = r"^[a-z0-9](?:[a-z0-9-]|_(?!_)){0,63}$"
_NAME = re.compile(NAME_PATTERN)


def check_name(kind: str, name: str) -> str:
    """Plugin names and the names of what they add: no double underscore, which separates."""
    if not _NAME.match(name) or name.endswith("_"):
        raise ValueError(
            f"{kind} name {name!r}: 1-64 lowercase letters, digits, '-' or single '_', "
            "starting with a letter or digit"
        )
    return name


# Builds a model by name, e.g. "my-model" of provider "acme__cloud" for "acme__cloud:my-model".
ProviderFactory = Callable[[str], "Model"]


@dataclass
class PluginApi:
    """Handed to a plugin's `register`; collects what the plugin adds."""

    plugin: str
    tools: dict[str, ToolSpec[Any]] = field(default_factory=dict)
    providers: dict[str, ProviderFactory] = field(default_factory=dict)
    channels: dict[str, type[AnyAdapter]] = field(default_factory=dict)

    def _qualified(self, kind: str, name: str, taken: Mapping[str, object]) -> str:
        qualified = f"{self.plugin}{SEPARATOR}{check_name(kind, name)}"
        if qualified in taken:
            raise ValueError(f"plugin {self.plugin!r} registers {kind} {name!r} twice")
        return qualified

    def add_tool(self, spec: ToolSpec[Any]) -> None:
        """Adds a tool; agents list it as `<plugin>__<name>` and it passes the tool policy."""
        name = self._qualified("tool", spec.name, self.tools)
        self.tools[name] = dataclasses.replace(spec, name=name)

    def add_provider(self, name: str, build_model: ProviderFactory) -> None:
        """Adds a model provider, referenced as `<plugin>__<name>:<model>`."""
        self.providers[self._qualified("provider", name, self.providers)] = build_model

    def add_channel(self, adapter: type[AnyAdapter]) -> None:
        """Adds a chat platform, `<plugin>__<platform>`: an adapter on the same contract as the
        built-in ones (`nexora.channels.base`), which the channel pipeline runs."""
        qualified = self._qualified("channel", adapter.platform, self.channels)
        self.channels[qualified] = type(adapter.__name__, (adapter,), {"platform": qualified})


@runtime_checkable
class Plugin(Protocol):
    name: str
    version: str

    def register(self, api: PluginApi) -> None: ...
