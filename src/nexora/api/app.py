"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from nexora import __version__
from nexora.api.console import console_files
from nexora.api.deps import enforce_route_policy
from nexora.api.errors import install_error_handlers
from nexora.api.limits import BodySizeLimit
from nexora.api.routes import (
    admin,
    agent_files,
    agents,
    approvals,
    audit,
    auth,
    channels,
    chat,
    config,
    cron,
    dispatch,
    grants,
    group_blackboard,
    group_runs,
    groups,
    guard,
    health,
    mcp_servers,
    memory_blocks,
    memory_changes,
    memory_ingest,
    memory_items,
    models,
    openai_compat,
    playbooks,
    plugins,
    policies,
    projects,
    providers,
    roles,
    run_approvals,
    runs,
    secrets,
    skills,
    templates,
    tools,
    usage,
    vault,
)
from nexora.config import Settings, load_settings
from nexora.platform import Platform

ROUTERS = (
    health.router,
    auth.router,
    admin.router,
    projects.router,
    agents.router,
    agent_files.router,
    grants.router,
    policies.router,
    approvals.router,
    mcp_servers.router,
    skills.router,
    plugins.router,
    audit.router,
    models.router,
    tools.router,
    providers.router,
    providers.presets_router,
    runs.router,
    roles.router,
    groups.router,
    group_runs.router,
    group_blackboard.router,
    run_approvals.router,
    chat.router,
    templates.router,
    dispatch.router,
    openai_compat.router,
    usage.router,
    secrets.admin_router,
    secrets.me_router,
    config.router,
    guard.router,
    memory_blocks.router,
    memory_items.router,
    memory_changes.router,
    memory_ingest.router,
    playbooks.router,
    vault.router,
    channels.router,
    cron.router,
)


def create_app(settings: Settings | None = None) -> FastAPI:
    platform = Platform.from_settings(settings or load_settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await platform.start()
        try:
            yield
        finally:
            await platform.stop()

    app = FastAPI(
        dependencies=[Depends(enforce_route_policy)],
        title="Nexora",
        version=__version__,
        description="Self-hosted AI agent workspace for teams.",
        lifespan=lifespan,
    )
    app.state.platform = platform
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    # Last, so every API route matches first; the console takes the paths nobody else does.
    if (console := console_files(platform.settings.console_dir)) is not None:
        app.mount("/", console, name="console")
    app.add_middleware(
        BodySizeLimit,
        max_bytes=platform.settings.max_body_bytes,
        larger=(agent_files.UPLOAD_BODY, memory_ingest.UPLOAD_BODY),
    )
    return app
