"""Live adapters built from channel rows: config validated, credentials read from the secret
store, one shared HTTP client; rebuilt when the channel changes, is restarted or one of its
credentials is rotated."""

from __future__ import annotations

from typing import Any

import httpx
from pydantic import SecretStr, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.channels.base import AnyAdapter, ChannelConfig, adapter_types
from nexora.errors import InvalidInput
from nexora.governance.secret_store import SecretStore
from nexora.storage.models import Channel

HTTP_TIMEOUT_SECONDS = 20.0


def adapter_class(channel_type: str) -> type[AnyAdapter]:
    found = adapter_types().get(channel_type)
    if found is None:
        known = ", ".join(sorted(adapter_types()))
        raise InvalidInput(f"type: unknown channel type {channel_type!r} (one of: {known})")
    return found


def parse_config(channel_type: str, values: dict[str, Any]) -> ChannelConfig:
    """The platform's config model over `values`, with its first problem as a clear error."""
    try:
        return adapter_class(channel_type).config_model.model_validate(values)
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise InvalidInput(f"config.{where}: {problem['msg']}") from None


class Adapters:
    def __init__(self, secret_store: SecretStore) -> None:
        self.secret_store = secret_store
        self._http: httpx.AsyncClient | None = None
        self._live: dict[str, tuple[tuple[int, str], AnyAdapter]] = {}

    @property
    def http(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=HTTP_TIMEOUT_SECONDS, follow_redirects=False)
        return self._http

    async def for_channel(self, db: AsyncSession, channel: Channel) -> AnyAdapter:
        # Runtime writes (health, leases) touch updated_at; only changes bump the generation.
        # A rotated credential rebuilds the adapter too, in every process, with no restart.
        names = dict(channel.secrets)
        stamp = await self.secret_store.fingerprint(db, channel.org_id, names.values())
        version = (channel.generation, stamp)
        live = self._live.get(channel.id)
        if live is not None and live[0] == version:
            return live[1]
        values = await self.secret_store.resolve_many(db, channel.org_id, names.values())
        config = dict(channel.config)
        for field_name, secret_name in names.items():
            if secret_name in values:
                config[field_name] = SecretStr(values[secret_name])
        adapter = adapter_class(channel.type)(parse_config(channel.type, config), self.http)
        if live is not None:
            await live[1].aclose()
        self._live[channel.id] = (version, adapter)
        return adapter

    async def forget(self, channel_id: str) -> None:
        live = self._live.pop(channel_id, None)
        if live is not None:
            await live[1].aclose()

    async def aclose(self) -> None:
        for channel_id in list(self._live):
            await self.forget(channel_id)
        if self._http is not None:
            await self._http.aclose()
            self._http = None
