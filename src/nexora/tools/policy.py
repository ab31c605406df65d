"""ToolPolicy: whether one concrete tool call runs, waits for a human, or is refused.

Inputs are the tool's name, what the guards said about the call (verdict and danger level),
the agent's policy and the org's rules for the caller's role. The order is fixed and strict:

1. a `block` pattern (agent or role) refuses the tool outright;
2. a guard's `block` refuses the call: nobody can approve it;
3. `high` and `critical` calls, and calls a guard sends to approval, wait for an org admin;
4. an `ask` pattern makes the caller confirm (the run's user, or an admin);
5. `medium` calls follow the agent's `medium` setting, unless an `allow` pattern lets them run;
6. `safe` and `low` calls run.

A role's `only` list, when it has one, is the whole set of tools that role may use. Several
rule sets may apply at once (the org's rules for the user's role, a team role's rules): each
one narrows, so a call must pass all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from nexora.security.verdict import Danger, GuardResult, Reason, Verdict

ToolPattern = Annotated[
    str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_*?.\-\[\]]+$")
]


def _patterns() -> list[str]:
    return Field(default_factory=list, max_length=200)


class RoleRules(BaseModel):
    """An org's rules for one role. Patterns name tools: `shell`, `github__*`."""

    model_config = ConfigDict(extra="forbid")

    # When not empty, the only tools callers with this role may use.
    only: list[ToolPattern] = _patterns()
    ask: list[ToolPattern] = _patterns()
    block: list[ToolPattern] = _patterns()


class ToolPolicy(BaseModel):
    """An agent's policy, in its agent.yaml under `tool_policy`."""

    model_config = ConfigDict(extra="forbid")

    # Medium-danger calls of these tools run without asking.
    allow: list[ToolPattern] = _patterns()
    ask: list[ToolPattern] = _patterns()
    block: list[ToolPattern] = _patterns()
    # What a medium-danger call does when no `allow` pattern names the tool.
    medium: Literal["allow", "confirm", "approval"] = "confirm"


class Outcome(StrEnum):
    RUN = "run"
    CONFIRM = "confirm"  # the run's user (or an admin) may let it run
    APPROVAL = "approval"  # an org admin must let it run
    BLOCK = "block"


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    danger: Danger
    reasons: tuple[Reason, ...]

    @property
    def needs_human(self) -> bool:
        return self.outcome in (Outcome.CONFIRM, Outcome.APPROVAL)

    def summary(self) -> str:
        return "; ".join(r.message for r in self.reasons) or self.outcome.value


def _matches(name: str, patterns: list[str]) -> str | None:
    return next((p for p in patterns if fnmatchcase(name, p)), None)


def decide(tool: str, guard: GuardResult, agent: ToolPolicy, *roles: RoleRules | None) -> Decision:
    danger, found = guard.danger, list(guard.reasons)
    rule_sets = [role for role in roles if role is not None]

    def outcome(kind: Outcome, *extra: Reason) -> Decision:
        return Decision(kind, danger, (*found, *extra))

    owners: list[tuple[ToolPolicy | RoleRules, str]] = [(agent, "agent")]
    owners += [(role, "role") for role in rule_sets]
    for rules, owner in owners:
        if pattern := _matches(tool, rules.block):
            return outcome(
                Outcome.BLOCK,
                Reason(
                    f"policy.{owner}_block",
                    f"the {owner} policy blocks {tool!r} (pattern {pattern!r})",
                    Verdict.BLOCK,
                    danger,
                ),
            )
    if any(role.only and _matches(tool, role.only) is None for role in rule_sets):
        return outcome(
            Outcome.BLOCK,
            Reason(
                "policy.role_not_allowed",
                f"{tool!r} is not among the tools the caller's role may use",
                Verdict.BLOCK,
                danger,
            ),
        )
    if guard.verdict is Verdict.BLOCK:
        return outcome(Outcome.BLOCK)
    if guard.verdict is Verdict.APPROVAL or danger >= Danger.HIGH:
        return outcome(Outcome.APPROVAL)
    asked = _matches(tool, agent.ask) or any(_matches(tool, role.ask) for role in rule_sets)
    if asked:
        return outcome(
            Outcome.CONFIRM,
            Reason(
                "policy.ask",
                f"the policy asks before every {tool!r} call",
                Verdict.APPROVAL,
                danger,
            ),
        )
    if danger == Danger.MEDIUM:
        if _matches(tool, agent.allow) or agent.medium == "allow":
            return outcome(Outcome.RUN)
        return outcome(Outcome.CONFIRM if agent.medium == "confirm" else Outcome.APPROVAL)
    return outcome(Outcome.RUN)
