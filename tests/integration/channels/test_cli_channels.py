"""`nexora channels` on the local data dir: types, add (credentials to the secret store), list,
map a user, pairing codes, health, restart and delete — each audited, with clear errors."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.support.cli import init_home, said


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return init_home(tmp_path, monkeypatch, "helper")


def test_channels_are_added_mapped_checked_restarted_and_deleted(home: Path) -> None:
    kinds = said(["channels", "types"])
    assert "telegram" in kinds and "bot_token*" in kinds and "feishu" in kinds

    config = {"secret": "hook-signing-secret", "callback_url": "https://example.com/hook"}
    added = said(
        [
            "channels",
            "add",
            "webhook",
            "ops-hook",
            "--agent",
            "helper",
            "--config-json",
            json.dumps(config),
        ]
    )
    assert "added ops-hook" in added and "/api/channels/" in added and "/inbound" in added
    telegram = said(
        [
            "channels",
            "add",
            "telegram",
            "ops-tg",
            "--agent",
            "helper",
            "--config",
            "bot_token=123456:telegram-token",
        ]
    )
    assert "holds a connection" in telegram

    listed = said(["channels", "list"])
    assert "ops-hook" in listed and "ops-tg" in listed and "webhook" in listed
    assert "hook-signing-secret" not in listed and "telegram-token" not in listed

    assert "u-42 acts as admin" in said(["channels", "map", "ops-hook", "u-42", "admin"])
    assert "pair " in said(["channels", "pair", "ops-hook"])
    health = said(["channels", "health", "ops-tg"])
    assert "connected: no" in health and "backlog:" in health
    assert "webhook only" in said(["channels", "health", "ops-hook"])
    assert "restarting ops-tg" in said(["channels", "restart", "ops-tg"])
    assert "deleted ops-hook" in said(["channels", "delete", "ops-hook"])
    assert "ops-hook" not in said(["channels", "list"])

    with sqlite3.connect(home / "nexora.db") as db:
        actions = {row[0] for row in db.execute("SELECT action FROM audit_events")}
    assert {
        "channel.create",
        "channel.identity.map",
        "channel.pairing_code",
        "channel.restart",
        "channel.delete",
    } <= actions


def test_bad_input_gets_a_clear_error(home: Path) -> None:
    assert "unknown channel type 'icq'" in said(
        ["channels", "add", "icq", "x", "--agent", "helper"], code=1
    )
    assert "config.bot_token" in said(
        ["channels", "add", "telegram", "tg", "--agent", "helper"], code=1
    )
    assert "KEY=VALUE" in said(
        ["channels", "add", "telegram", "tg", "--agent", "helper", "--config", "oops"], code=1
    )
    assert "not found" in said(["channels", "health", "nope"], code=1)
    assert "not found" in said(
        [
            "channels",
            "add",
            "telegram",
            "tg",
            "--agent",
            "ghost",
            "--config",
            "bot_token=123456:abcdefgh",
        ],
        code=1,
    )
