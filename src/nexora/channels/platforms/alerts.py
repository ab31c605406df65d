"""Alert intake: Alertmanager, Grafana and Uptime Kuma notifications become messages to the
channel's agent (an alerts agent), whose answer goes to another channel — where people are.

Each tool's webhook is pointed at the channel's inbound URL with `Authorization: Bearer
<token>` (or `?token=` for tools that cannot set headers). A notification repeated unchanged
(same group, status and alerts) is the same message and is answered once.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, Field, SecretStr

from nexora.channels.base import (
    Adapter,
    BadSignature,
    ChannelConfig,
    DeliveryFailed,
    Inbound,
    Outbound,
    WebhookRequest,
    WebhookResult,
    register,
)
from nexora.channels.signatures import same

MAX_ALERTS = 50
MAX_VALUE_CHARS = 500


class Forward(BaseModel):
    channel_id: str = Field(min_length=1, max_length=64)
    to: str = Field(min_length=1, max_length=255)


class AlertsConfig(ChannelConfig):
    token: SecretStr = Field(min_length=16)
    format: Literal["auto", "alertmanager", "grafana", "uptime_kuma"] = "auto"
    # Where the agent's answer is posted: a channel of the org and a conversation in it.
    deliver: Forward
    api_base: str = ""  # unused: alerts only come in


@register
class AlertsAdapter(Adapter[AlertsConfig]):
    platform = "alerts"
    config_model = AlertsConfig

    async def handle_webhook(self, request: WebhookRequest) -> WebhookResult:
        expected = self.config.token.get_secret_value()
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not same(expected, given or None) and not same(expected, request.query.get("token")):
            raise BadSignature("missing or wrong bearer token")
        try:
            payload = json.loads(request.body)
        except ValueError:
            return WebhookResult(status=422, body={"detail": "body: not JSON"})
        if not isinstance(payload, dict):
            return WebhookResult(status=422, body={"detail": "body: a JSON object is expected"})
        kind = self.config.format if self.config.format != "auto" else _detect(payload)
        if kind is None:
            return WebhookResult(status=422, body={"detail": "body: not a known alert format"})
        source, text = (
            _uptime_kuma(payload) if kind == "uptime_kuma" else _alert_group(payload, kind)
        )
        digest = hashlib.sha256(text.encode()).hexdigest()[:32]
        return WebhookResult(
            messages=[
                Inbound(
                    message_id=f"{kind}:{digest}",
                    sender_id=source,
                    text=text,
                    conversation_id=self.config.deliver.to,
                )
            ],
            body={"ok": True},
        )

    async def send(self, message: Outbound) -> str | None:
        # The pipeline posts answers to `deliver`; an alert source takes no messages.
        raise DeliveryFailed("alert sources take no messages")


def _detect(payload: dict[str, Any]) -> str | None:
    if "heartbeat" in payload or "monitor" in payload:
        return "uptime_kuma"
    if isinstance(payload.get("alerts"), list):
        # Grafana's unified alerting speaks Alertmanager's format and adds these.
        return "grafana" if "orgId" in payload or "title" in payload else "alertmanager"
    return None


def _clip(value: object) -> str:
    return str(value)[:MAX_VALUE_CHARS]


def _alert_group(payload: dict[str, Any], kind: str) -> tuple[str, str]:
    alerts = [a for a in payload.get("alerts", []) if isinstance(a, dict)][:MAX_ALERTS]
    lines = [f"{kind} notification: {_clip(payload.get('status', 'unknown'))}"]
    if payload.get("title"):
        lines.append(f"Title: {_clip(payload['title'])}")
    common = payload.get("commonLabels") or {}
    if isinstance(common, dict) and common:
        lines.append("Common labels: " + ", ".join(f"{k}={_clip(v)}" for k, v in common.items()))
    for alert in alerts:
        labels = alert.get("labels") or {}
        annotations = alert.get("annotations") or {}
        name = labels.get("alertname", "alert") if isinstance(labels, dict) else "alert"
        line = f"- [{_clip(alert.get('status', '?'))}] {_clip(name)}"
        if isinstance(labels, dict):
            rest = {k: v for k, v in labels.items() if k != "alertname"}
            line += " (" + ", ".join(f"{k}={_clip(v)}" for k, v in rest.items()) + ")"
        if isinstance(annotations, dict):
            for key in ("summary", "description"):
                if annotations.get(key):
                    line += f"\n  {key}: {_clip(annotations[key])}"
        line += f"\n  since {_clip(alert.get('startsAt', '?'))}"
        lines.append(line)
    source = "grafana" if kind == "grafana" else "alertmanager"
    return source, "\n".join(lines)


def _uptime_kuma(payload: dict[str, Any]) -> tuple[str, str]:
    monitor = payload.get("monitor") or {}
    beat = payload.get("heartbeat") or {}
    name = monitor.get("name", "monitor") if isinstance(monitor, dict) else "monitor"
    status = beat.get("status") if isinstance(beat, dict) else None
    states = {0: "DOWN", 1: "UP", 2: "PENDING", 3: "MAINTENANCE"}
    state = states.get(status, "unknown") if isinstance(status, int) else "unknown"
    lines = [f"uptime_kuma notification: {_clip(name)} is {state}"]
    if isinstance(monitor, dict) and monitor.get("url"):
        lines.append(f"URL: {_clip(monitor['url'])}")
    if isinstance(beat, dict):
        if beat.get("msg"):
            lines.append(f"Detail: {_clip(beat['msg'])}")
        if beat.get("time"):
            lines.append(f"At: {_clip(beat['time'])}")
    elif payload.get("msg"):
        lines.append(f"Detail: {_clip(payload['msg'])}")
    return "uptime_kuma", "\n".join(lines)
