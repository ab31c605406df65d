"""Enabling and disabling a plugin for an org: capability changes (`plugin.enable`,
`plugin.disable`) that go through the org's policy, so enabling waits for an admin by default.

The approval records the version that was installed when it was asked for; if a different
version is installed by the time it is approved, applying it fails, so an admin never
approves code they have not seen named.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.auth.actor import Actor
from nexora.errors import Conflict, NotFound
from nexora.governance.audit import AuditLog, RequestContext
from nexora.governance.capabilities import (
    ApplyContext,
    Capability,
    ChangeAction,
    register_applier,
)
from nexora.governance.capability_changes import Change, ChangeOutcome, submit
from nexora.plugins.host import GROUP, PluginHost, installed_plugins
from nexora.storage.models import PluginEnablement


@dataclass(frozen=True, slots=True)
class PluginState:
    """One installed (or formerly installed, still enabled) plugin as an org sees it."""

    name: str
    version: str | None  # installed version; None when enabled but no longer installed
    distribution: str | None
    installed: bool
    enabled: bool
    enabled_version: str | None
    loaded: bool
    error: str | None


async def states(db: AsyncSession, host: PluginHost, org_id: str) -> list[PluginState]:
    installed = host.installed()
    enabled = await host.enabled(db, org_id)
    result = []
    for name in sorted(installed.keys() | enabled.keys()):
        plugin, row = installed.get(name), enabled.get(name)
        if plugin is not None and row is not None:
            host.load(name)  # enabled here: its load error belongs in the listing
        error = host.error(name)
        if plugin is None:
            error = f"enabled but no longer installed (no `{GROUP}` entry point)"
        result.append(
            PluginState(
                name=name,
                version=plugin.version if plugin else None,
                distribution=plugin.distribution if plugin else None,
                installed=plugin is not None,
                enabled=row is not None,
                enabled_version=row.version if row else None,
                loaded=host.loaded(name),
                error=error,
            )
        )
    return result


async def state(db: AsyncSession, host: PluginHost, org_id: str, name: str) -> PluginState:
    for found in await states(db, host, org_id):
        if found.name == name:
            return found
    raise NotFound(f"plugin {name!r} is not installed")


async def request_enable(
    db: AsyncSession,
    actor: Actor,
    host: PluginHost,
    name: str,
    request: RequestContext | None,
    audit: AuditLog,
) -> ChangeOutcome:
    plugin = host.get(name)
    if await _row(db, actor.org_id, name) is not None:
        raise Conflict(f"plugin {name!r} is already enabled")
    payload = {"name": name, "version": plugin.version, "distribution": plugin.distribution}
    change = Change(Capability.PLUGIN, ChangeAction.ENABLE, name, payload)
    return await submit(db, actor, change, request, audit)


async def request_disable(
    db: AsyncSession,
    actor: Actor,
    name: str,
    request: RequestContext | None,
    audit: AuditLog,
) -> ChangeOutcome:
    if await _row(db, actor.org_id, name) is None:
        raise NotFound(f"plugin {name!r} is not enabled")
    change = Change(Capability.PLUGIN, ChangeAction.DISABLE, name, {"name": name})
    return await submit(db, actor, change, request, audit)


async def _row(db: AsyncSession, org_id: str, name: str) -> PluginEnablement | None:
    return await db.scalar(
        select(PluginEnablement).where(
            PluginEnablement.org_id == org_id, PluginEnablement.name == name
        )
    )


async def _apply_enable(context: ApplyContext) -> dict[str, Any]:
    name, version = str(context.payload["name"]), str(context.payload["version"])
    installed = installed_plugins().get(name)
    if installed is None:
        raise NotFound(f"plugin {name!r} is no longer installed")
    if installed.version != version:
        raise Conflict(
            f"plugin {name!r} was {version} when this was requested and is now "
            f"{installed.version}; request it again"
        )
    if await _row(context.db, context.org_id, name) is not None:
        raise Conflict(f"plugin {name!r} is already enabled")
    row = PluginEnablement(
        org_id=context.org_id, name=name, version=version, enabled_by=context.requested_by
    )
    context.db.add(row)
    try:
        await context.db.flush()
    except IntegrityError as exc:  # enabled by someone else since the check above
        raise Conflict(f"plugin {name!r} is already enabled") from exc
    return {"plugin": name, "version": version, "enabled": True}


async def _apply_disable(context: ApplyContext) -> dict[str, Any]:
    name = str(context.payload["name"])
    row = await _row(context.db, context.org_id, name)
    if row is None:
        raise NotFound(f"plugin {name!r} is not enabled")
    await context.db.delete(row)
    await context.db.flush()
    return {"plugin": name, "enabled": False}


register_applier("plugin", "enable", _apply_enable)
register_applier("plugin", "disable", _apply_disable)
