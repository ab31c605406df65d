"""The services one Nexora process runs, wired from its settings.

The API, the CLI's local mode and the workers all start from here, so every entry point
shares one database engine, one agent pool and one set of keys per process.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from nexora.agents.files import AgentFiles
from nexora.agents.pool import AgentPool
from nexora.agents.registry import AgentRegistry
from nexora.auth.keys import load_or_create_key
from nexora.auth.service import AuthService
from nexora.auth.throttle import LoginThrottle
from nexora.auth.tokens import TokenIssuer
from nexora.config import Settings
from nexora.governance.secrets import SecretBox
from nexora.providers.resolver import ModelResolver
from nexora.storage import migrate
from nexora.storage.db import Database
from nexora.tenancy.bootstrap import bootstrap

log = logging.getLogger(__name__)


@dataclass
class Platform:
    settings: Settings
    db: Database
    auth: AuthService
    secrets: SecretBox
    agents: AgentRegistry
    pool: AgentPool
    models: ModelResolver

    @classmethod
    def from_settings(cls, settings: Settings) -> Platform:
        keys = settings.home / "keys"
        jwt_secret = (
            settings.jwt_secret.get_secret_value().encode()
            if settings.jwt_secret
            else load_or_create_key(keys / "jwt.key")
        )
        secrets = SecretBox(load_or_create_key(keys / "secret.key"))
        return cls(
            settings=settings,
            db=Database(settings.database_url),
            auth=AuthService(
                TokenIssuer(jwt_secret, settings.access_token_ttl_seconds),
                LoginThrottle(settings.login_max_failures, settings.login_window_seconds),
                settings.refresh_token_ttl_seconds,
            ),
            secrets=secrets,
            agents=AgentRegistry(AgentFiles(settings.agents_dir)),
            pool=AgentPool(settings.agent_pool_max_active, settings.agent_pool_idle_ttl_seconds),
            models=ModelResolver(settings, secrets),
        )

    async def start(self) -> None:
        """Migrates the schema, creates the default org (and admin), starts background work."""
        self.settings.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        await migrate.upgrade(self.db)
        password = self.settings.admin_password
        async with self.db.session() as session:
            if await bootstrap(session, password.get_secret_value() if password else None):
                log.info("created user 'admin' in the default organization")
        self.pool.start()

    async def stop(self) -> None:
        await self.pool.stop()
        await self.models.aclose()
        await self.db.dispose()
