"""The provider admin routes and the model list, through a live server and a fake model server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from nexora.config import Settings
from tests.fakes.openai_server import FakeOpenAIServer
from tests.support.api import assert_problem, auth, login, ok
from tests.support.server import RunningServer

KEY = "sk-secret-0123456789"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """No model from the environment: these tests configure providers through the API."""
    return settings.model_copy(
        update={"default_model": None, "openai_base_url": None, "openai_api_key": None}
    )


@pytest.fixture
def fake() -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(models=["fake-model"]) as server:
        yield server


def _vllm(fake: FakeOpenAIServer, **extra: object) -> dict[str, object]:
    return {"preset": "vllm", "base_url": fake.base_url, "models": ["fake-model"], **extra}


def _user(
    server: RunningServer, admin: httpx.Client, username: str, role: str, org_id: str | None = None
) -> httpx.Client:
    body = {"username": username, "password": "pw-123456", "role": role, "org_id": org_id}
    ok(admin.post("/api/admin/users", json=body), 201)
    with server.client() as anon:
        return server.client(login(anon, username, "pw-123456"))


def test_configure_list_test_and_delete_a_provider(
    admin: httpx.Client, fake: FakeOpenAIServer
) -> None:
    created = ok(admin.put("/api/admin/providers/my-vllm", json=_vllm(fake, api_key=KEY)))
    assert created["name"] == "my-vllm" and created["family"] == "openai"
    assert created["api_key_set"] and created["api_key_masked"] == "sk-…6789"

    listed = admin.get("/api/admin/providers")
    assert KEY not in listed.text
    assert [p["name"] for p in ok(listed)] == ["my-vllm"]
    assert KEY not in admin.get("/api/admin/providers/my-vllm").text

    # Omitting the key keeps it; the test call reaches the fake with it.
    ok(admin.put("/api/admin/providers/my-vllm", json=_vllm(fake, timeout_seconds=5)))
    fake.reply_text("OK", usage=(5, 1))
    result = ok(admin.post("/api/admin/providers/my-vllm/test"))
    assert result["ok"] is True and result["model"] == "fake-model"
    assert result["latency_ms"] >= 0 and "OK" in result["detail"]
    (sent,) = fake.chat_requests
    assert sent.headers["authorization"] == f"Bearer {KEY}"

    fake.reply_error(400, message="model does not exist")
    failed = ok(admin.post("/api/admin/providers/my-vllm/test", json={"model": "missing"}))
    assert failed["ok"] is False and "model does not exist" in failed["detail"]

    cleared = ok(admin.put("/api/admin/providers/my-vllm", json=_vllm(fake, api_key="")))
    assert not cleared["api_key_set"] and cleared["api_key_masked"] is None

    assert admin.delete("/api/admin/providers/my-vllm").status_code == 204
    assert_problem(admin.get("/api/admin/providers/my-vllm"), 404, "not configured")


def test_models_list_for_any_user(
    server: RunningServer, admin: httpx.Client, fake: FakeOpenAIServer
) -> None:
    ok(admin.put("/api/admin/providers/my-vllm", json=_vllm(fake)))
    with _user(server, admin, "operator1", "operator") as operator:
        models = ok(operator.get("/api/models"))
        assert models == [
            {
                "id": "my-vllm:fake-model",
                "provider": "my-vllm",
                "model": "fake-model",
                "source": "org",
                "is_default": True,
            }
        ]
        assert_problem(operator.get("/api/admin/providers"), 403)
        assert_problem(operator.put("/api/admin/providers/x", json=_vllm(fake)), 403)


def test_nothing_configured_lists_no_models_and_the_test_explains(admin: httpx.Client) -> None:
    assert ok(admin.get("/api/models")) == []
    result = ok(admin.post("/api/admin/providers/openai/test"))
    assert result["ok"] is False and "OPENAI_API_KEY" in result["detail"]


def test_another_orgs_provider_is_a_404(
    server: RunningServer, admin: httpx.Client, fake: FakeOpenAIServer
) -> None:
    ok(admin.put("/api/admin/providers/my-vllm", json=_vllm(fake, api_key=KEY)))
    other = ok(admin.post("/api/admin/orgs", json={"name": "other-org"}), 201)
    with _user(server, admin, "other-admin", "admin", other["id"]) as stranger:
        assert_problem(stranger.get("/api/admin/providers/my-vllm"), 404)
        assert_problem(stranger.delete("/api/admin/providers/my-vllm"), 404)
        assert ok(stranger.get("/api/admin/providers")) == []
        assert ok(stranger.get("/api/models")) == []
        result = ok(stranger.post("/api/admin/providers/my-vllm/test"))
        assert result["ok"] is False and "unknown provider 'my-vllm'" in result["detail"]
    assert ok(admin.get("/api/admin/providers/my-vllm"))["api_key_set"]


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("ok-name", {"preset": "nonsense"}, "preset"),
        ("ok-name", {"preset": "vllm", "base_url": "ftp://x.example"}, "base_url"),
        ("ok-name", {"preset": "vllm", "proxy_url": "proxy:3128"}, "proxy_url"),
        ("ok-name", {"preset": "vllm", "timeout_seconds": 0}, "timeout_seconds"),
        ("ok-name", {"preset": "vllm", "models": ["m"] * 101}, "models"),
        ("Bad Name!", {"preset": "vllm"}, "name"),
    ],
)
def test_invalid_settings_are_422(
    admin: httpx.Client, name: str, body: dict[str, object], field: str
) -> None:
    response = admin.put(f"/api/admin/providers/{name}", json=body)
    assert_problem(response, 422)
    assert field in response.json()["detail"]


def test_presets_are_listed_for_admins(admin: httpx.Client, anon: httpx.Client) -> None:
    presets = {p["name"]: p for p in ok(admin.get("/api/admin/provider-presets"))}
    assert presets["openai"]["family"] == "openai" and presets["openai"]["key_required"]
    assert "gpt-4o-mini" in presets["openai"]["models"]
    assert presets["ollama"]["local"] and not presets["ollama"]["key_required"]
    assert presets["anthropic"]["family"] == "anthropic"
    ok(admin.post("/api/admin/users", json={"username": "op", "password": "operator-pw-1"}), 201)
    operator = auth(login(anon, "op", "operator-pw-1"))
    assert_problem(anon.get("/api/admin/provider-presets", headers=operator), 403)
