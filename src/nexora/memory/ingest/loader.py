"""One input to one `Document`: files through the converters (PDFs through MinerU when the
settings say so), URLs through `web_fetch`'s guarded client (public addresses only, unless
an admin allowed the host), Feishu documents through their connector.

Credentials for the connectors are read from the org's secret store when first needed, for
the user the ingestion runs for (their own secret wins over the org's)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from nexora.config import Settings
from nexora.errors import ContentTooLarge, InvalidInput, UpstreamFailed
from nexora.governance.secret_store import SecretStore
from nexora.memory.ingest.connectors import feishu, mineru
from nexora.memory.ingest.convert import MEDIA_SUFFIX, SUPPORTED, convert_file
from nexora.memory.ingest.document import Document
from nexora.memory.ingest.limits import IngestLimits
from nexora.memory.ingest.sources import FeishuInput, FileInput, Input, UrlInput
from nexora.storage.db import Database


class DocumentLoader:
    def __init__(
        self,
        settings: Settings,
        limits: IngestLimits,
        db: Database,
        secrets: SecretStore,
        org_id: str,
        user_id: str | None,
    ) -> None:
        self.settings = settings
        self.limits = limits
        self.db = db
        self.secrets = secrets
        self.org_id = org_id
        self.user_id = user_id

    async def load(self, item: Input) -> Document:
        if isinstance(item, FileInput):
            return await self._file(item.path, item.name, item.source)
        if isinstance(item, UrlInput):
            return await self._url(item.url)
        return await self._feishu(item)

    async def _file(self, path: Path, name: str, source: str) -> Document:
        if name.lower().endswith(".pdf") and self.settings.ingest_pdf_parser == "mineru":
            self.limits.check_size(name, (await asyncio.to_thread(path.stat)).st_size)
            data = await asyncio.to_thread(path.read_bytes)
            return await (await self._mineru()).parse(name, data, source)
        return await asyncio.to_thread(convert_file, path, source, self.limits, name)

    async def _url(self, url: str) -> Document:
        from nexora.tools.base import ToolError
        from nexora.tools.builtin.web_fetch import fetch  # the guarded client, loaded on demand

        try:
            page = await fetch(url, frozenset(self.settings.web_allowed_hosts))
        except ToolError as exc:
            raise UpstreamFailed(str(exc)) from exc
        if page.status >= 400:
            raise InvalidInput(f"{url} answered HTTP {page.status}")
        if page.truncated:
            raise ContentTooLarge(f"{url} is larger than a fetched document may be")
        name = _name_for(page.url, page.content_type)
        with tempfile.TemporaryDirectory(prefix="nexora-ingest-") as folder:
            path = Path(folder) / name
            await asyncio.to_thread(path.write_bytes, page.body)
            return await self._file(path, name, url)

    async def _feishu(self, item: FeishuInput) -> Document:
        found = await self._secrets(feishu.CREDENTIAL_NAMES)
        app_id, app_secret = (found.get(name) for name in feishu.CREDENTIAL_NAMES)
        if not app_id or not app_secret:
            raise InvalidInput(
                "reading Feishu documents needs the secrets "
                f"{' and '.join(feishu.CREDENTIAL_NAMES)} (`nexora secrets set`)"
            )
        config = feishu.FeishuConfig(
            self.settings.feishu_base_url,
            app_id,
            app_secret,
            self.settings.connector_timeout_seconds,
        )
        return await feishu.FeishuReader(config, self.limits).read(item.ref)

    async def _mineru(self) -> mineru.MineruParser:
        token = (await self._secrets([mineru.CREDENTIAL_NAME])).get(mineru.CREDENTIAL_NAME)
        if not token:
            raise InvalidInput(
                f"parsing PDFs with MinerU needs the secret {mineru.CREDENTIAL_NAME} "
                "(`nexora secrets set`), or set ingest_pdf_parser to local"
            )
        config = mineru.MineruConfig(
            self.settings.mineru_base_url,
            token,
            self.settings.mineru_model_version,
            self.settings.mineru_poll_seconds,
            self.settings.mineru_timeout_seconds,
            self.settings.connector_timeout_seconds,
        )
        return mineru.MineruParser(config, self.limits)

    async def _secrets(self, names: tuple[str, ...] | list[str]) -> dict[str, str]:
        async with self.db.session() as session:
            return await self.secrets.resolve_many(session, self.org_id, names, self.user_id)


def _name_for(url: str, content_type: str) -> str:
    """A file name whose suffix picks the reader: from the media type, else the URL's path."""
    path = PurePosixPath(urlsplit(url).path)
    stem = path.stem or "page"
    media = content_type.split(";", 1)[0].strip().lower()
    if media in MEDIA_SUFFIX:
        return stem + MEDIA_SUFFIX[media]
    if path.suffix.lower() in SUPPORTED:
        return stem + path.suffix.lower()
    if media.startswith("text/"):
        return stem + ".txt"
    raise InvalidInput(f"{url} is {media or 'of no stated type'}, not a document we can read")
