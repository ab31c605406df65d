"""Every ORM model, importable from one place (Alembic reads the metadata from here)."""

from nexora.storage.models.core import (
    AgentRecord,
    ApiKey,
    AuthSession,
    Membership,
    Org,
    Project,
    ProviderSetting,
    User,
)
from nexora.storage.models.runtime import (
    AuditEvent,
    ChatSession,
    Run,
    RunEvent,
    RunStep,
    TokenUsage,
)

__all__ = [
    "AgentRecord",
    "ApiKey",
    "AuditEvent",
    "AuthSession",
    "ChatSession",
    "Membership",
    "Org",
    "Project",
    "ProviderSetting",
    "Run",
    "RunEvent",
    "RunStep",
    "TokenUsage",
    "User",
]
