"""Alibaba Cloud DashScope's text-embedding API (Qwen's text-embedding-v3/v4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nexora.memory.embed.remote import Endpoint, Request, Task, bearer

if TYPE_CHECKING:
    from nexora.config import Settings

PATH = "/api/v1/services/embeddings/text-embedding/text-embedding"


class DashScopeWire:
    # text-embedding-v3 and v4 accept at most 10 texts a request.
    max_batch = 10

    def default_url(self, settings: Settings) -> str:
        return "https://dashscope.aliyuncs.com"

    def api_key(self, settings: Settings) -> str | None:
        key = settings.dashscope_api_key
        return key.get_secret_value() if key else None

    def request(self, endpoint: Endpoint, texts: list[str], task: Task) -> Request:
        parameters: dict[str, Any] = {"text_type": "query" if task == "query" else "document"}
        if endpoint.dims:
            parameters["dimension"] = endpoint.dims
        body = {"model": endpoint.model, "input": {"texts": texts}, "parameters": parameters}
        return Request(f"{endpoint.base_url}{PATH}", body, bearer(endpoint.api_key))

    def vectors(self, answer: Any) -> list[list[float]]:
        rows = sorted(answer["output"]["embeddings"], key=lambda row: row["text_index"])
        return [row["embedding"] for row in rows]


WIRE = DashScopeWire()
