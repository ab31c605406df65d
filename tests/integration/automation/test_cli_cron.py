"""`nexora cron` on the local data dir: add, list, run now, delete, templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import init_home, said


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return init_home(tmp_path, monkeypatch, "reporter")


def test_jobs_are_added_listed_fired_and_deleted(home: Path) -> None:
    added = said(
        [
            "cron",
            "add",
            "standup",
            "--agent",
            "reporter",
            "--schedule",
            "30 9 * * 1-5",
            "--tz",
            "Asia/Shanghai",
            "--task",
            "Post the stand-up agenda",
        ]
    )
    assert "scheduled standup" in added and "next:" in added
    listed = said(["cron", "list"])
    assert "standup" in listed and "30 9 * * 1-5" in listed and "Asia/Shanghai" in listed
    assert "fired: run" in said(["cron", "run", "standup"])
    watch = said(
        [
            "cron",
            "add",
            "site",
            "--agent",
            "reporter",
            "--template",
            "watch",
            "--param",
            "target=https://example.com",
            "--param",
            "what=status",
        ]
    )
    assert "scheduled site" in watch
    refused = said(
        ["cron", "add", "bad", "--agent", "reporter", "--schedule", "nope", "--task", "x"], code=1
    )
    assert "5 fields" in refused
    assert "deleted standup" in said(["cron", "delete", "standup"])
    assert "standup" not in said(["cron", "list"])
    assert "news-digest" in said(["cron", "templates"])
