"""Feishu's open platform on loopback: tenant access tokens for an app, documents' info and
blocks (paged as the docx v1 API pages them), and wiki nodes, with its error envelopes.

    with LoopbackSite() as site:
        feishu = FakeFeishu(site)
        feishu.add_document("doxcnA", "Handbook", [heading(1, "Leave"), text("...")])
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.web_site import LoopbackSite, Reply, Seen

TENANT_TOKEN = "t-g1044ghJRUIJJ5ELKAEGBS"
_BAD_TOKEN = {
    "code": 99991663,
    "msg": "Invalid access token for authorization. Please make a request with token attached.",
}


def _elements(content: str) -> dict[str, Any]:
    return {
        "elements": [{"text_run": {"content": content, "text_element_style": {"bold": False}}}],
        "style": {},
    }


def page(title: str, block_id: str) -> dict[str, Any]:
    return {
        "block_id": block_id,
        "block_type": 1,
        "page": _elements(title),
        "parent_id": "",
        "children": [],
    }


def heading(level: int, content: str) -> dict[str, Any]:
    return {
        "block_id": f"h{level}{content[:4]}",
        "block_type": 2 + level,
        f"heading{level}": _elements(content),
    }


def text(content: str) -> dict[str, Any]:
    return {"block_id": f"t{content[:6]}", "block_type": 2, "text": _elements(content)}


def bullet(content: str) -> dict[str, Any]:
    return {"block_id": f"b{content[:6]}", "block_type": 12, "bullet": _elements(content)}


@dataclass
class FakeFeishu:
    site: LoopbackSite
    app_id: str = "cli_a1b2c3d4e5"
    app_secret: str = "app-secret-value"
    documents: dict[str, tuple[str, list[dict[str, Any]]]] = field(default_factory=dict)
    wiki: dict[str, tuple[str, str]] = field(default_factory=dict)  # node -> (obj_type, obj_token)
    slow_seconds: float = 0.0  # how long the blocks API takes to answer
    max_page_size: int = 500  # lower it to make a short document span pages

    def __post_init__(self) -> None:
        self.site.route("/open-apis/auth/v3/tenant_access_token/internal", self._token)
        self.site.route("/open-apis/wiki/v2/spaces/get_node", self._node)

    def add_document(self, document_id: str, title: str, blocks: list[dict[str, Any]]) -> None:
        all_blocks = [page(title, document_id), *blocks]
        self.documents[document_id] = (title, all_blocks)
        self.site.route(
            f"/open-apis/docx/v1/documents/{document_id}",
            lambda seen: self._info(seen, document_id),
        )
        self.site.route(
            f"/open-apis/docx/v1/documents/{document_id}/blocks",
            lambda seen: self._blocks(seen, document_id),
        )

    def _token(self, seen: Seen) -> Reply:
        body = seen.json()
        if body.get("app_id") != self.app_id:
            return Reply.json({"code": 10003, "msg": "invalid param"}, status=400)
        if body.get("app_secret") != self.app_secret:
            return Reply.json({"code": 10014, "msg": "app secret invalid"}, status=400)
        return Reply.json(
            {"code": 0, "msg": "ok", "tenant_access_token": TENANT_TOKEN, "expire": 7200}
        )

    @staticmethod
    def _authorized(seen: Seen) -> bool:
        return seen.headers.get("authorization") == f"Bearer {TENANT_TOKEN}"

    def _info(self, seen: Seen, document_id: str) -> Reply:
        if not self._authorized(seen):
            return Reply.json(_BAD_TOKEN, status=400)
        title, _blocks = self.documents[document_id]
        return Reply.json(
            {
                "code": 0,
                "msg": "success",
                "data": {
                    "document": {"document_id": document_id, "revision_id": 7, "title": title}
                },
            }
        )

    def _blocks(self, seen: Seen, document_id: str) -> Reply:
        time.sleep(self.slow_seconds)
        if not self._authorized(seen):
            return Reply.json(_BAD_TOKEN, status=400)
        _title, blocks = self.documents[document_id]
        size = min(int(seen.query.get("page_size", "500")), self.max_page_size)
        start = int(seen.query.get("page_token") or 0)
        items = blocks[start : start + size]
        more = start + size < len(blocks)
        data: dict[str, Any] = {"items": items, "has_more": more}
        if more:
            data["page_token"] = str(start + size)
        return Reply.json({"code": 0, "msg": "success", "data": data})

    def _node(self, seen: Seen) -> Reply:
        if not self._authorized(seen):
            return Reply.json(_BAD_TOKEN, status=400)
        token = seen.query.get("token", "")
        if token not in self.wiki:
            return Reply.json({"code": 131005, "msg": "not found"}, status=404)
        obj_type, obj_token = self.wiki[token]
        return Reply.json(
            {
                "code": 0,
                "msg": "success",
                "data": {
                    "node": {
                        "node_token": token,
                        "obj_token": obj_token,
                        "obj_type": obj_type,
                        "title": "wiki page",
                        "space_id": "7034",
                    }
                },
            }
        )
