"""Scheduled-task tests: the scheduler ticks quickly, and loopback is an allowed address (the
results go to fake chat platforms)."""

from __future__ import annotations

import pytest

from nexora.config import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "web_allowed_hosts": ["127.0.0.1"],
            "cron_tick_seconds": 0.2,
            "channel_outbox_seconds": 0.2,
        }
    )
