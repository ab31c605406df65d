"""Every ORM model, importable from one place (Alembic reads the metadata from here)."""

from nexora.storage.models.automation import CronFiring, CronJob
from nexora.storage.models.channels import (
    Channel,
    ChannelIdentity,
    ChannelInbox,
    ChannelOutbox,
    ChannelPairing,
    ChannelSession,
)
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
from nexora.storage.models.dispatch import Dispatch
from nexora.storage.models.governance import (
    AgentGrant,
    Approval,
    AuditChainHead,
    CapabilityPolicy,
    McpServer,
    PluginEnablement,
    Quota,
    RuntimeConfig,
    Secret,
)
from nexora.storage.models.memory import MemoryBlock, MemoryChange, MemoryItem, MemoryJob
from nexora.storage.models.playbooks import Playbook, PlaybookRun, StageExecution
from nexora.storage.models.runtime import (
    AuditEvent,
    ChatSession,
    Run,
    RunEvent,
    RunStep,
    TokenUsage,
)
from nexora.storage.models.skills import InstalledSkill
from nexora.storage.models.teams import Group, GroupGrant, GroupMember, Role
from nexora.storage.models.vault import Artifact

__all__ = [
    "AgentGrant",
    "AgentRecord",
    "ApiKey",
    "Approval",
    "Artifact",
    "AuditChainHead",
    "AuditEvent",
    "AuthSession",
    "CapabilityPolicy",
    "Channel",
    "ChannelIdentity",
    "ChannelInbox",
    "ChannelOutbox",
    "ChannelPairing",
    "ChannelSession",
    "ChatSession",
    "CronFiring",
    "CronJob",
    "Dispatch",
    "Group",
    "GroupGrant",
    "GroupMember",
    "InstalledSkill",
    "McpServer",
    "Membership",
    "MemoryBlock",
    "MemoryChange",
    "MemoryItem",
    "MemoryJob",
    "Org",
    "Playbook",
    "PlaybookRun",
    "PluginEnablement",
    "Project",
    "ProviderSetting",
    "Quota",
    "Role",
    "Run",
    "RunEvent",
    "RunStep",
    "RuntimeConfig",
    "Secret",
    "StageExecution",
    "TokenUsage",
    "User",
]
