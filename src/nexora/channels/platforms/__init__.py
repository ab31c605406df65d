"""The built-in platforms; importing this package registers each one."""

from nexora.channels.platforms import alerts, feishu, slack, telegram, webhook

__all__ = ["alerts", "feishu", "slack", "telegram", "webhook"]
