"""Capability policy: how risky a change to an org's tools, skills, MCP servers or plugins is,
and whether it applies at once or waits for an admin; plus the appliers that make changes real.

Semantics, the same for every capability:

- **low** risk: the change applies at once and is audited (the rule is ignored; a `low` rule
  of `approve` is refused, since it would not do what it says).
- **medium** risk: the rule decides: `approve` queues it for an admin, `auto` (or `allow`)
  applies it at once and audits it.
- **high** risk: always queued for an admin, whatever the rule; `high` with anything but
  `approve` is refused so the stored table never claims otherwise.

An org's own rules (table `capability_policies`) win over `BUILTIN_POLICIES`; a rule for the
current environment wins over the org's `default` environment rule.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.errors import InvalidInput
from nexora.storage.models import CapabilityPolicy, RuntimeConfig


class Capability(StrEnum):
    TOOL = "tool"
    SKILL = "skill"
    MCP = "mcp"
    PLUGIN = "plugin"


class ChangeAction(StrEnum):
    CREATE = "create"
    DELETE = "delete"
    INSTALL = "install"
    REMOVE = "remove"
    UPDATE = "update"
    ENABLE = "enable"  # plugins: installed on the node, switched on per org
    DISABLE = "disable"


class Risk(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return _RISK_RANK[self]


_RISK_RANK = {Risk.LOW: 0, Risk.MEDIUM: 1, Risk.HIGH: 2}


class Rule(StrEnum):
    ALLOW = "allow"
    APPROVE = "approve"
    AUTO = "auto"


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class ApprovalKind(StrEnum):
    CAPABILITY = "capability"
    TOOL_CALL = "tool_call"  # reserved: the runtime asking before a risky tool call


DEFAULT_ENVIRONMENT = "default"
ENVIRONMENT_KEY = "capability_environment"
ENVIRONMENT_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"

_ADDS = (ChangeAction.CREATE, ChangeAction.INSTALL, ChangeAction.UPDATE, ChangeAction.ENABLE)
_REMOVALS = (ChangeAction.DELETE, ChangeAction.REMOVE, ChangeAction.DISABLE)
# What an org gets until it writes its own rules. Removing a capability shrinks what agents
# can do, so it is low risk. Adding or changing one grows it: MCP servers and plugins run
# arbitrary code with the org's secrets (high); skills and tools are prompt text and vetted
# built-ins, reviewed by default but an org may set them to `auto` (medium).
_ADD_RISK = {
    Capability.TOOL: (Risk.MEDIUM, Rule.APPROVE),
    Capability.SKILL: (Risk.MEDIUM, Rule.APPROVE),
    Capability.MCP: (Risk.HIGH, Rule.APPROVE),
    Capability.PLUGIN: (Risk.HIGH, Rule.APPROVE),
}
BUILTIN_POLICIES: dict[tuple[Capability, ChangeAction], tuple[Risk, Rule]] = {
    **{(c, a): _ADD_RISK[c] for c in Capability for a in _ADDS},
    **{(c, a): (Risk.LOW, Rule.ALLOW) for c in Capability for a in _REMOVALS},
}


class PolicyRule(BaseModel):
    """One rule of an org's table, as the API reads and writes it."""

    model_config = ConfigDict(extra="forbid")

    capability: Capability
    action: ChangeAction
    environment: str = Field(default=DEFAULT_ENVIRONMENT, pattern=ENVIRONMENT_PATTERN)
    risk: Risk
    rule: Rule

    @model_validator(mode="after")
    def _coherent(self) -> PolicyRule:
        if self.risk is Risk.HIGH and self.rule is not Rule.APPROVE:
            raise ValueError("high-risk changes always need approval: use rule 'approve'")
        if self.risk is Risk.LOW and self.rule is Rule.APPROVE:
            raise ValueError("low-risk changes are always allowed: use risk 'medium' to review")
        return self


@dataclass(frozen=True, slots=True)
class Decision:
    """What the policy says about one requested change."""

    capability: Capability
    action: ChangeAction
    environment: str
    risk: Risk
    rule: Rule
    source: str  # "org" or "builtin", for the audit record

    @property
    def needs_approval(self) -> bool:
        return needs_approval(self.risk, self.rule)

    def at_least(self, risk: Risk) -> Decision:
        """This decision with its risk raised to `risk` (what a scanner found can make a
        change riskier than its kind, never safer)."""
        if risk.rank <= self.risk.rank:
            return self
        return dataclasses.replace(self, risk=risk)


def needs_approval(risk: Risk, rule: Rule) -> bool:
    if risk is Risk.HIGH:
        return True
    return risk is Risk.MEDIUM and rule is Rule.APPROVE


async def runtime_value(db: AsyncSession, org_id: str, key: str) -> Any:
    """An org's runtime configuration value, or None: read straight from `runtime_config` so
    governance does not depend on the config service (which validates and caches on top)."""
    return await db.scalar(
        select(RuntimeConfig.value).where(RuntimeConfig.org_id == org_id, RuntimeConfig.key == key)
    )


async def current_environment(db: AsyncSession, org_id: str) -> str:
    value = await runtime_value(db, org_id, ENVIRONMENT_KEY)
    return value if isinstance(value, str) and value else DEFAULT_ENVIRONMENT


async def evaluate(
    db: AsyncSession, org_id: str, capability: Capability, action: ChangeAction
) -> Decision:
    environment = await current_environment(db, org_id)
    rows = await db.scalars(
        select(CapabilityPolicy).where(
            CapabilityPolicy.org_id == org_id,
            CapabilityPolicy.capability == capability.value,
            CapabilityPolicy.action == action.value,
            CapabilityPolicy.environment.in_({environment, DEFAULT_ENVIRONMENT}),
        )
    )
    by_env = {row.environment: row for row in rows}
    row = by_env.get(environment) or by_env.get(DEFAULT_ENVIRONMENT)
    if row is not None:
        risk, rule, source = Risk(row.risk), Rule(row.rule), "org"
    else:
        (risk, rule), source = BUILTIN_POLICIES[(capability, action)], "builtin"
    return Decision(capability, action, environment, risk, rule, source)


async def org_rules(db: AsyncSession, org_id: str) -> list[PolicyRule]:
    rows = await db.scalars(
        select(CapabilityPolicy)
        .where(CapabilityPolicy.org_id == org_id)
        .order_by(
            CapabilityPolicy.environment, CapabilityPolicy.capability, CapabilityPolicy.action
        )
    )
    return [
        PolicyRule(
            capability=Capability(r.capability),
            action=ChangeAction(r.action),
            environment=r.environment,
            risk=Risk(r.risk),
            rule=Rule(r.rule),
        )
        for r in rows
    ]


def builtin_rules() -> list[PolicyRule]:
    return [
        PolicyRule(capability=c, action=a, risk=risk, rule=rule)
        for (c, a), (risk, rule) in BUILTIN_POLICIES.items()
    ]


async def replace_rules(db: AsyncSession, org_id: str, rules: list[PolicyRule]) -> None:
    """Replaces the org's whole table in one transaction (the caller commits)."""
    seen: set[tuple[str, str, str]] = set()
    for rule in rules:
        key = (rule.capability.value, rule.action.value, rule.environment)
        if key in seen:
            raise InvalidInput(
                f"more than one rule for {key[0]}.{key[1]} in environment {key[2]!r}"
            )
        seen.add(key)
    for row in await db.scalars(select(CapabilityPolicy).where(CapabilityPolicy.org_id == org_id)):
        await db.delete(row)
    # Deletes must reach the database before inserts reuse their unique keys.
    await db.flush()
    db.add_all(
        CapabilityPolicy(
            org_id=org_id,
            capability=r.capability.value,
            action=r.action.value,
            environment=r.environment,
            risk=r.risk.value,
            rule=r.rule.value,
        )
        for r in rules
    )


# -- appliers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ApplyContext:
    """Everything an applier may use. `db` is the caller's transaction: an applier adds,
    changes or deletes rows and may flush, but never commits; the caller commits the change
    together with the approval's new status, or rolls both back if the applier raises."""

    db: AsyncSession
    org_id: str
    capability: Capability
    action: ChangeAction
    target: str
    payload: dict[str, Any]
    requested_by: str | None
    approval_id: str | None  # None when the policy applied the change without a queue


Applier = Callable[[ApplyContext], Awaitable[dict[str, Any]]]
"""Makes one kind of change real and returns a JSON-able summary (stored as the result)."""

# Modules that register the built-in appliers, imported on first use so this module never
# imports the subsystems that depend on it. A new capability adds one line here.
APPLIER_MODULES = (
    "nexora.governance.mcp_registry",
    "nexora.skills.installs",
    "nexora.plugins.enablement",
)

_appliers: dict[tuple[Capability, ChangeAction], Applier] = {}
_loaded = False


def register_applier(capability: str, action: str, applier: Applier) -> None:
    """Declares how `capability.action` changes take effect; one applier per pair."""
    key = (Capability(capability), ChangeAction(action))
    if key in _appliers and _appliers[key] is not applier:
        raise ValueError(f"an applier for {key[0]}.{key[1]} is already registered")
    _appliers[key] = applier


def unregister_applier(capability: str, action: str) -> None:
    _appliers.pop((Capability(capability), ChangeAction(action)), None)


def applier_for(capability: Capability, action: ChangeAction) -> Applier | None:
    global _loaded
    if not _loaded:
        for module in APPLIER_MODULES:
            importlib.import_module(module)
        _loaded = True
    return _appliers.get((capability, action))
