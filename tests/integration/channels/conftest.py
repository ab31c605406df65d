"""Channel tests talk to fake platforms on loopback, so loopback is an allowed address here,
and the background loops turn quickly."""

from __future__ import annotations

import pytest

from nexora.config import Settings


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(
        update={
            "web_allowed_hosts": ["127.0.0.1"],
            "channel_outbox_seconds": 0.2,
            "channel_reconcile_seconds": 0.3,
            "channel_connections_seconds": 0.3,
            "channel_reconnect_max_seconds": 0.5,
            "channel_stream_edit_seconds": 0.05,
        }
    )
