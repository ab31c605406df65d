"""Installed plugins, which orgs enabled them, and what the enabled ones add.

Installed plugins are found through entry point metadata, without importing them: importing
a plugin runs its code in this process, so that waits until some org has enabled it (a
capability change an admin approves). A plugin that fails to import or register is recorded
with its error, shown by the listing and the doctor, and offers nothing; it never stops
Nexora from starting.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.channels.base import AnyAdapter, register
from nexora.errors import NotFound
from nexora.plugins.api import (
    SEPARATOR,
    Plugin,
    PluginApi,
    ProviderFactory,
    check_name,
)
from nexora.storage.db import Database
from nexora.storage.models import PluginEnablement
from nexora.tools.base import ToolSpec

log = logging.getLogger(__name__)

GROUP = "nexora.plugins"


@dataclass(frozen=True, slots=True)
class InstalledPlugin:
    """A plugin as the metadata of its distribution describes it; nothing imported."""

    name: str
    version: str
    distribution: str
    target: str  # `module:attribute`, as the entry point names it


@dataclass(frozen=True, slots=True)
class LoadedPlugin:
    name: str
    version: str
    tools: dict[str, ToolSpec[Any]]
    providers: dict[str, ProviderFactory]
    channels: dict[str, type[AnyAdapter]]


def installed_plugins() -> dict[str, InstalledPlugin]:
    """Read afresh each time: a plugin installed since start shows up without a restart."""
    found: dict[str, InstalledPlugin] = {}
    for point in entry_points(group=GROUP):
        dist = point.dist
        if point.name in found:
            log.warning("plugin %r is installed twice; using the first", point.name)
            continue
        found[point.name] = InstalledPlugin(
            name=point.name,
            version=dist.version if dist is not None else "unknown",
            distribution=dist.name if dist is not None else "unknown",
            target=point.value,
        )
    return found


class PluginHost:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._loaded: dict[str, LoadedPlugin] = {}
        self._errors: dict[str, str] = {}

    # -- what is installed ----------------------------------------------------------------

    def installed(self) -> dict[str, InstalledPlugin]:
        return installed_plugins()

    def get(self, name: str) -> InstalledPlugin:
        plugin = self.installed().get(name)
        if plugin is None:
            raise NotFound(f"plugin {name!r} is not installed")
        return plugin

    def error(self, name: str) -> str | None:
        """Why the plugin failed to load, if it was loaded and failed."""
        return self._errors.get(name)

    def loaded(self, name: str) -> bool:
        return name in self._loaded

    # -- loading --------------------------------------------------------------------------

    def load(self, name: str) -> LoadedPlugin | None:
        """Imports and registers the plugin once; None (and the error recorded) if it fails."""
        if name in self._loaded:
            return self._loaded[name]
        if name in self._errors:
            return None
        point = next((p for p in entry_points(group=GROUP) if p.name == name), None)
        if point is None:
            return None
        try:
            loaded = _load(point)
        except Exception as exc:
            self._errors[name] = f"{type(exc).__name__}: {exc}"
            log.warning("plugin %s could not be loaded: %s", name, self._errors[name])
            return None
        self._loaded[name] = loaded
        return loaded

    async def load_enabled(self) -> None:
        """At start: loads every plugin some org has enabled, so failures show at once."""
        async with self.db.session() as session:
            names = set(await session.scalars(select(PluginEnablement.name).distinct()))
        for name in sorted(names & self.installed().keys()):
            self.load(name)

    # -- what an org gets -----------------------------------------------------------------

    async def enabled(self, db: AsyncSession, org_id: str) -> dict[str, PluginEnablement]:
        rows = await db.scalars(select(PluginEnablement).where(PluginEnablement.org_id == org_id))
        return {row.name: row for row in rows}

    async def for_org(self, db: AsyncSession, org_id: str) -> list[LoadedPlugin]:
        # Every run asks: the installed packages are read only for a plugin not loaded yet.
        plugins = []
        for name in sorted(await self.enabled(db, org_id)):
            loaded = self._loaded.get(name)
            if loaded is None and name in self.installed():
                loaded = self.load(name)
            if loaded is not None:
                plugins.append(loaded)
        return plugins

    async def tools_for(self, db: AsyncSession, org_id: str) -> dict[str, ToolSpec[Any]]:
        """The tools of the org's enabled plugins, by their `<plugin>__<tool>` names; an agent
        may call those its `tools` list names, under the same policy as built-in tools."""
        return {
            name: spec
            for plugin in await self.for_org(db, org_id)
            for name, spec in plugin.tools.items()
        }

    async def provider(self, db: AsyncSession, org_id: str, name: str) -> ProviderFactory | None:
        """The model factory of provider `<plugin>__<name>`, if that plugin is enabled here."""
        plugin_name = name.split(SEPARATOR, 1)[0]
        if SEPARATOR not in name or plugin_name not in await self.enabled(db, org_id):
            return None
        loaded = self.load(plugin_name)
        return loaded.providers.get(name) if loaded is not None else None

    async def channels_for(self, db: AsyncSession, org_id: str) -> dict[str, type[AnyAdapter]]:
        """The channel kinds the org's enabled plugins add, for the channel subsystem."""
        return {
            kind: factory
            for plugin in await self.for_org(db, org_id)
            for kind, factory in plugin.channels.items()
        }


def _load(point: EntryPoint) -> LoadedPlugin:
    check_name("plugin", point.name)
    target = point.load()
    plugin = target() if isinstance(target, type) else target
    if not isinstance(plugin, Plugin):
        raise TypeError(f"{point.value} has no name, version and register(api)")
    if plugin.name != point.name:
        raise ValueError(f"it calls itself {plugin.name!r} but is installed as {point.name!r}")
    api = PluginApi(point.name)
    plugin.register(api)
    for adapter in api.channels.values():
        register(adapter, replace=True)  # a reloaded plugin's platform replaces its old one
    return LoadedPlugin(
        name=point.name,
        version=str(plugin.version),
        tools=dict(api.tools),
        providers=dict(api.providers),
        channels=dict(api.channels),
    )
