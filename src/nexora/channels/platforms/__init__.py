"""The built-in platforms; importing this package registers each one."""

from nexora.channels.platforms import alerts, slack, telegram, webhook

__all__ = ["alerts", "slack", "telegram", "webhook"]
