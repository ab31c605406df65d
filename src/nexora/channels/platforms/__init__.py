"""The built-in platforms; importing this package registers each one."""

from nexora.channels.platforms import alerts, dingtalk, email, feishu, slack, telegram, webhook

__all__ = ["alerts", "dingtalk", "email", "feishu", "slack", "telegram", "webhook"]
