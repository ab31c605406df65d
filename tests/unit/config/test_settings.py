from __future__ import annotations

from pathlib import Path

import pytest

from nexora.config import ConfigError, load_settings


def _write_config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.yaml").write_text(text)


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEXORA_HOME", str(tmp_path))
    settings = load_settings()
    assert (settings.host, settings.port) == ("127.0.0.1", 8088)
    assert settings.database_url == f"sqlite+aiosqlite:///{tmp_path / 'nexora.db'}"
    assert settings.agent_pool_max_active == 20 and settings.agent_pool_idle_ttl_seconds == 3600


def test_flag_beats_env_beats_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEXORA_HOME", str(tmp_path))
    _write_config(tmp_path, "port: 9001\nhost: 0.0.0.0\nagent_pool_max_active: 7\n")
    assert load_settings().port == 9001
    monkeypatch.setenv("NEXORA_PORT", "9002")
    settings = load_settings()
    assert settings.port == 9002 and settings.host == "0.0.0.0"
    assert settings.agent_pool_max_active == 7
    assert load_settings(port=9003).port == 9003


def test_home_flag_chooses_the_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _write_config(tmp_path / "a", "port: 9100\n")
    assert load_settings(home=str(tmp_path / "a")).port == 9100


def test_provider_keys_use_their_usual_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("NEXORA_DEFAULT_MODEL", "openai:gpt-4o-mini")
    settings = load_settings()
    assert settings.openai_api_key is not None
    assert settings.openai_api_key.get_secret_value() == "sk-test"
    assert "sk-test" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "value", "named"),
    [
        ("NEXORA_PORT", "eighty", "port"),
        ("NEXORA_PORT", "70000", "port"),
        ("NEXORA_DEFAULT_MODEL", "gpt-4o", "default_model"),
        ("NEXORA_LOG_LEVEL", "loud", "log_level"),
    ],
)
def test_bad_env_value_names_the_key(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, named: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError, match=named):
        load_settings()


def test_bad_file_value_and_unknown_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEXORA_HOME", str(tmp_path))
    _write_config(tmp_path, "port: many\n")
    with pytest.raises(ConfigError, match="port"):
        load_settings()
    _write_config(tmp_path, "prot: 8000\n")
    with pytest.raises(ConfigError, match="prot"):
        load_settings()
    _write_config(tmp_path, "port: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings()
