"""What it takes to start one MCP server for one run: its row, resolved for a user and an agent.

The resolved credentials decide who may share the resulting connection. A server whose
secrets all come from the org is shared by the org's runs; one that uses any of the user's
own secrets belongs to that user alone. The key also covers the working directory and the
secret values themselves, so an agent never gets another's workspace and a changed secret
starts a fresh process instead of reusing one that holds the old value.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from nexora.errors import InvalidInput
from nexora.governance.secret_store import SecretStore
from nexora.security.verdict import Danger
from nexora.storage.models import McpServer

DEFAULT_DANGER = Danger.MEDIUM
# All a stdio server inherits from this process; the MCP SDK adds only LOGNAME, SHELL, TERM
# and USER. Nothing named NEXORA_* and no provider key ever reaches a server.
_INHERITED_ENV = ("PATH", "HOME", "LANG")


@dataclass(frozen=True, slots=True)
class ServerLaunch:
    """One MCP server as a run will reach it; `key` names the connection it may share."""

    server_id: str
    name: str
    transport: Literal["stdio", "http"]
    command: str | None
    args: tuple[str, ...]
    url: str | None
    cwd: Path | None
    timeout_seconds: float
    danger: Danger
    scope: Literal["org", "user"]
    owner: str  # the org's id, or the user's, as `scope` says
    env: dict[str, str] = field(default_factory=dict, repr=False)
    headers: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def key(self) -> str:
        material = json.dumps(
            [
                self.server_id,
                self.transport,
                self.command,
                self.args,
                self.url,
                str(self.cwd),
                self.scope,
                self.owner,
                sorted(self.env.items()),
                sorted(self.headers.items()),
            ]
        )
        return hashlib.sha256(material.encode()).hexdigest()


def danger_of(server: McpServer) -> Danger:
    return Danger.parse(server.danger) if server.danger else DEFAULT_DANGER


async def resolve_launch(
    db: AsyncSession,
    secrets: SecretStore,
    server: McpServer,
    *,
    user_id: str | None,
    workspace: Path | None,
) -> ServerLaunch:
    """Resolves the server's secrets for `user_id` (their own win over the org's).

    A secret the spec names but nobody set is an error: starting the server without it would
    fail later and more obscurely, or worse, run with a blank credential."""
    env_names: dict[str, str] = dict(server.secret_env or {})
    header_names: dict[str, str] = dict(server.secret_headers or {})
    wanted = {*env_names.values(), *header_names.values()}
    found = await secrets.resolve_scoped(db, server.org_id, wanted, user_id)
    missing = sorted(wanted - found.keys())
    if missing:
        raise InvalidInput(
            f"MCP server {server.name!r} needs secret(s) {', '.join(missing)}; set them with "
            "`PUT /api/me/secrets/{name}` or ask an admin to set them for the organization"
        )
    personal = any(secret.scope == "user" for secret in found.values())
    env = {var: found[name].value for var, name in env_names.items()}
    headers = {header: found[name].value for header, name in header_names.items()}
    stdio = server.transport == "stdio"
    if stdio:
        inherited = {k: os.environ[k] for k in _INHERITED_ENV if k in os.environ}
        env = {**inherited, **env}
    return ServerLaunch(
        server_id=server.id,
        name=server.name,
        transport="stdio" if stdio else "http",
        command=server.command,
        args=tuple(str(a) for a in server.args or ()),
        url=server.url,
        cwd=workspace if stdio else None,
        timeout_seconds=server.timeout_seconds,
        danger=danger_of(server),
        scope="user" if personal and user_id else "org",
        owner=user_id if personal and user_id else server.org_id,
        env=env,
        headers=headers,
    )
