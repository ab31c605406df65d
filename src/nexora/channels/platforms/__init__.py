"""The built-in platforms; importing this package registers each one."""

from nexora.channels.platforms import (
    alerts,
    dingtalk,
    discord,
    email,
    feishu,
    mattermost,
    qq,
    slack,
    telegram,
    webhook,
    wecom,
)

__all__ = [
    "alerts",
    "dingtalk",
    "discord",
    "email",
    "feishu",
    "mattermost",
    "qq",
    "slack",
    "telegram",
    "webhook",
    "wecom",
]
