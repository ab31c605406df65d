"""The built-in platforms; importing this package registers each one."""

from nexora.channels.platforms import alerts, telegram, webhook

__all__ = ["alerts", "telegram", "webhook"]
