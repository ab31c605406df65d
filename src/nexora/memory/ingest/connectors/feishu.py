"""Feishu (Lark) cloud documents into archival memory.

Authenticates as the org's Feishu app (`FEISHU_APP_ID`, `FEISHU_APP_SECRET` in the secret
store) with a tenant access token, resolves a wiki node to its document when given one, and
reads the document's blocks (`GET /open-apis/docx/v1/documents/{id}/blocks`, paged), turning
headings, lists, quotes and code into markdown so the chunker sees the structure. The app
must be able to read the document (shared with it, or the wiki space it belongs to)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from nexora.errors import InvalidInput, UpstreamFailed
from nexora.memory.ingest.connectors._http import call_json
from nexora.memory.ingest.document import Document, Section
from nexora.memory.ingest.limits import IngestLimits

SERVICE = "Feishu"
# The org secrets holding the app's credentials.
CREDENTIAL_NAMES = ("FEISHU_APP_ID", "FEISHU_APP_SECRET")
PAGE_SIZE = 500  # the most the blocks API returns at once
MAX_PAGES = 200  # 100,000 blocks: past this a document is not one document
_HOSTS = ("feishu.cn", "larksuite.com", "larkoffice.com")
_TOKEN = re.compile(r"[A-Za-z0-9]{8,64}")
# Block types of the docx API whose payload is text (the payload's key is the type's name).
_TEXT_BLOCKS = {2: "text", 12: "bullet", 13: "ordered", 14: "code", 15: "quote", 17: "todo"}
_HEADING_BLOCKS = {2 + level: f"heading{level}" for level in range(1, 10)}


@dataclass(frozen=True, slots=True)
class FeishuRef:
    kind: str  # "docx" or "wiki"
    token: str


def parse_ref(text: str) -> FeishuRef | None:
    """`feishu:docx/ID`, `feishu:wiki/TOKEN`, or a Feishu/Lark document or wiki URL."""
    if text.startswith("feishu:"):
        kind, _, token = text[len("feishu:") :].partition("/")
    else:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https") or not host.endswith(_HOSTS):
            return None
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) < 2:
            return None
        kind, token = segments[0], segments[1]
    if kind not in ("docx", "wiki") or not _TOKEN.fullmatch(token):
        if text.startswith("feishu:"):
            raise InvalidInput(f"{text!r}: use feishu:docx/DOCUMENT_ID or feishu:wiki/NODE_TOKEN")
        return None
    return FeishuRef(kind, token)


@dataclass(frozen=True, slots=True)
class FeishuConfig:
    base_url: str
    app_id: str
    app_secret: str = field(repr=False)
    timeout_seconds: float = 30.0


class FeishuReader:
    def __init__(self, config: FeishuConfig, limits: IngestLimits) -> None:
        self.config = config
        self.limits = limits

    async def read(self, ref: FeishuRef) -> Document:
        base = self.config.base_url.rstrip("/") + "/open-apis"
        timeout = httpx.Timeout(self.config.timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, trust_env=False) as client:
            token = await self._tenant_token(client, base)
            auth = {"Authorization": f"Bearer {token}"}
            document_id = ref.token
            if ref.kind == "wiki":
                document_id = await self._wiki_document(client, base, auth, ref.token)
            info = await call_json(
                client, SERVICE, "GET", f"{base}/docx/v1/documents/{document_id}", headers=auth
            )
            document = (info.get("data") or {}).get("document") or {}
            blocks = await self._blocks(client, base, auth, document_id)
        text = blocks_to_markdown(blocks)
        name = f"feishu:docx/{document_id}"
        self.limits.check_chars(name, len(text))
        title = str(document.get("title") or document_id)
        sections = (Section(text, {}),) if text.strip() else ()
        return Document(name, title, "feishu", sections)

    async def _tenant_token(self, client: httpx.AsyncClient, base: str) -> str:
        body = await call_json(
            client,
            SERVICE,
            "POST",
            f"{base}/auth/v3/tenant_access_token/internal",
            json={"app_id": self.config.app_id, "app_secret": self.config.app_secret},
        )
        token = body.get("tenant_access_token")
        if not isinstance(token, str) or not token:
            raise UpstreamFailed(f"{SERVICE} answered without a tenant access token")
        return token

    @staticmethod
    async def _wiki_document(
        client: httpx.AsyncClient, base: str, auth: dict[str, str], node_token: str
    ) -> str:
        body = await call_json(
            client,
            SERVICE,
            "GET",
            f"{base}/wiki/v2/spaces/get_node",
            headers=auth,
            params={"token": node_token},
        )
        node = (body.get("data") or {}).get("node") or {}
        if node.get("obj_type") != "docx" or not node.get("obj_token"):
            raise InvalidInput(
                f"wiki node {node_token} is a {node.get('obj_type') or 'unknown'} object; "
                "only documents (docx) can be ingested"
            )
        return str(node["obj_token"])

    @staticmethod
    async def _blocks(
        client: httpx.AsyncClient, base: str, auth: dict[str, str], document_id: str
    ) -> list[dict[str, Any]]:
        blocks: list[dict[str, Any]] = []
        page_token = ""
        for _page in range(MAX_PAGES):
            params: dict[str, str | int] = {"page_size": PAGE_SIZE}
            if page_token:
                params["page_token"] = page_token
            body = await call_json(
                client,
                SERVICE,
                "GET",
                f"{base}/docx/v1/documents/{document_id}/blocks",
                headers=auth,
                params=params,
            )
            data = body.get("data") or {}
            blocks.extend(item for item in data.get("items") or [] if isinstance(item, dict))
            page_token = str(data.get("page_token") or "")
            if not data.get("has_more") or not page_token:
                return blocks
        raise UpstreamFailed(f"{SERVICE} document {document_id} has more than {MAX_PAGES} pages")


def blocks_to_markdown(blocks: list[dict[str, Any]]) -> str:
    """Markdown of a document's blocks in the order the API lists them (document order)."""
    lines: list[str] = []
    ordinal = 0
    for block in blocks:
        kind = block.get("block_type")
        if kind in _HEADING_BLOCKS:
            level = min(int(kind) - 2, 6)
            text = _text(block.get(_HEADING_BLOCKS[kind]))
            line = f"{'#' * level} {text}" if text else ""
        elif kind in _TEXT_BLOCKS:
            name = _TEXT_BLOCKS[kind]
            text = _text(block.get(name))
            line = _decorate(name, text, block.get(name), ordinal + 1)
        else:
            continue  # the page itself, tables' frames, images, dividers: no text of their own
        ordinal = ordinal + 1 if kind == 13 else 0
        if line:
            lines.append(line)
    return "\n\n".join(lines)


def _decorate(name: str, text: str, payload: Any, number: int) -> str:
    if not text:
        return ""
    if name == "bullet":
        return f"- {text}"
    if name == "ordered":
        return f"{number}. {text}"
    if name == "quote":
        return f"> {text}"
    if name == "code":
        return f"```\n{text}\n```"
    if name == "todo":
        done = isinstance(payload, dict) and (payload.get("style") or {}).get("done")
        return f"- [{'x' if done else ' '}] {text}"
    return text


def _text(payload: Any) -> str:
    """The text of a block's elements: text runs, equations and mentioned documents' titles."""
    if not isinstance(payload, dict):
        return ""
    parts: list[str] = []
    for element in payload.get("elements") or []:
        if not isinstance(element, dict):
            continue
        if run := element.get("text_run"):
            parts.append(str(run.get("content", "")))
        elif equation := element.get("equation"):
            parts.append(str(equation.get("content", "")))
        elif mention := element.get("mention_doc"):
            parts.append(str(mention.get("title", "")))
    return "".join(parts).strip()
