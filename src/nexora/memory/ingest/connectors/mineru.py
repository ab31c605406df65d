"""MinerU's cloud PDF parser (API v4), for PDFs whose layout, tables or scans the local
reader gets wrong.

The upload flow: ask for a batch of upload URLs (`POST /api/v4/file-urls/batch`), PUT the
file to its URL (parsing starts by itself), poll the batch
(`GET /api/v4/extract-results/batch/{batch_id}`) until the file is `done` or `failed`, then
download `full_zip_url` and read the markdown (`full.md`) inside. The token is the org's
secret `MINERU_API_TOKEN`."""

from __future__ import annotations

import asyncio
import io
import time
import uuid
import zipfile
from dataclasses import dataclass, field

import httpx

from nexora.errors import UpstreamFailed
from nexora.memory.ingest.connectors._http import call_json, download
from nexora.memory.ingest.convert import decode
from nexora.memory.ingest.document import Document, Section
from nexora.memory.ingest.limits import IngestLimits

SERVICE = "MinerU"
CREDENTIAL_NAME = "MINERU_API_TOKEN"  # the org secret holding the API token
_WORKING = frozenset({"waiting-file", "pending", "running", "converting"})


@dataclass(frozen=True, slots=True)
class MineruConfig:
    base_url: str
    token: str = field(repr=False)
    model_version: str = "vlm"
    poll_seconds: float = 3.0
    timeout_seconds: float = 900.0  # for the whole parse, upload to result
    request_timeout_seconds: float = 60.0


class MineruParser:
    """Parses one PDF at a time into a `Document` whose text is MinerU's markdown."""

    def __init__(self, config: MineruConfig, limits: IngestLimits) -> None:
        self.config = config
        self.limits = limits

    async def parse(self, name: str, data: bytes, source: str) -> Document:
        self.limits.check_size(name, len(data))
        api = self.config.base_url.rstrip("/") + "/api/v4"
        auth = {"Authorization": f"Bearer {self.config.token}"}
        timeout = httpx.Timeout(self.config.request_timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
            data_id = uuid.uuid4().hex
            created = await call_json(
                client,
                SERVICE,
                "POST",
                f"{api}/file-urls/batch",
                headers=auth,
                json={
                    "files": [{"name": name, "data_id": data_id}],
                    "model_version": self.config.model_version,
                },
            )
            batch_id, upload_url = _batch(created)
            await self._upload(client, upload_url, data)
            zip_url = await self._wait(client, f"{api}/extract-results/batch/{batch_id}", auth)
            archive = await download(client, SERVICE, zip_url, self.limits.max_bytes)
        markdown = self._markdown(name, archive)
        self.limits.check_chars(name, len(markdown))
        title = name.rsplit(".", 1)[0]
        sections = (Section(markdown, {}),) if markdown.strip() else ()
        return Document(source, title, "pdf", sections)

    @staticmethod
    async def _upload(client: httpx.AsyncClient, url: str, data: bytes) -> None:
        # The upload URL is pre-signed for a bare PUT: no Content-Type, no Authorization.
        try:
            response = await client.put(url, content=data)
        except httpx.HTTPError as exc:
            raise UpstreamFailed(f"{SERVICE}: uploading the file failed: {exc}") from exc
        if not response.is_success:
            raise UpstreamFailed(f"{SERVICE}: uploading the file answered {response.status_code}")

    async def _wait(self, client: httpx.AsyncClient, url: str, auth: dict[str, str]) -> str:
        """Polls the batch until our file is parsed; its result zip's URL."""
        deadline = time.monotonic() + self.config.timeout_seconds
        while True:
            body = await call_json(client, SERVICE, "GET", url, headers=auth)
            results = (body.get("data") or {}).get("extract_result") or []
            result = results[0] if results else {}
            state = result.get("state", "waiting-file")
            if state == "done":
                zip_url = result.get("full_zip_url")
                if not zip_url:
                    raise UpstreamFailed(f"{SERVICE} finished without a result to download")
                return str(zip_url)
            if state == "failed":
                raise UpstreamFailed(
                    f"{SERVICE} could not parse the file: {result.get('err_msg') or 'no reason'}"
                )
            if state not in _WORKING:
                raise UpstreamFailed(f"{SERVICE} reported an unknown state {state!r}")
            if time.monotonic() + self.config.poll_seconds > deadline:
                raise UpstreamFailed(
                    f"{SERVICE} did not finish parsing within {self.config.timeout_seconds:g} s "
                    f"(last state: {state})"
                )
            await asyncio.sleep(self.config.poll_seconds)

    def _markdown(self, name: str, archive: bytes) -> str:
        try:
            with zipfile.ZipFile(io.BytesIO(archive)) as result:
                members = result.infolist()
                if sum(m.file_size for m in members) > self.limits.max_expanded_bytes:
                    raise UpstreamFailed(f"{SERVICE}'s result for {name} expands too far")
                markdown = [m for m in members if m.filename.endswith(".md")]
                # `full.md` is the whole document; any other markdown is a fallback.
                markdown.sort(key=lambda m: (not m.filename.endswith("full.md"), m.filename))
                if not markdown:
                    raise UpstreamFailed(f"{SERVICE}'s result for {name} has no markdown")
                return decode(result.read(markdown[0]))
        except zipfile.BadZipFile as exc:
            raise UpstreamFailed(f"{SERVICE}'s result for {name} is not a zip: {exc}") from exc


def _batch(body: dict[str, object]) -> tuple[str, str]:
    data = body.get("data")
    if isinstance(data, dict):
        batch_id, urls = data.get("batch_id"), data.get("file_urls")
        if isinstance(batch_id, str) and isinstance(urls, list) and urls:
            return batch_id, str(urls[0])
    raise UpstreamFailed(f"{SERVICE} answered without a batch id and upload URL")
