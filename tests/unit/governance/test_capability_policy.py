"""Capability policy evaluation, rule validation and the appliers registry."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from nexora.errors import InvalidInput
from nexora.governance import capabilities as caps
from nexora.governance.capabilities import (
    ApplyContext,
    Capability,
    ChangeAction,
    PolicyRule,
    Risk,
    Rule,
)
from nexora.governance.capability_changes import DEFAULT_EXPIRY_HOURS, expiry_hours
from nexora.storage import migrate
from nexora.storage.db import Database
from nexora.storage.models import Org, RuntimeConfig


def test_every_combination_has_a_builtin_policy() -> None:
    assert set(caps.BUILTIN_POLICIES) == {(c, a) for c in Capability for a in ChangeAction}
    for risk, rule in caps.BUILTIN_POLICIES.values():
        PolicyRule(capability="mcp", action="create", risk=risk, rule=rule)  # coherent
    assert caps.BUILTIN_POLICIES[(Capability.MCP, ChangeAction.CREATE)][0] is Risk.HIGH
    assert caps.BUILTIN_POLICIES[(Capability.PLUGIN, ChangeAction.INSTALL)][0] is Risk.HIGH
    assert caps.BUILTIN_POLICIES[(Capability.SKILL, ChangeAction.CREATE)][0] is Risk.MEDIUM
    assert all(
        caps.BUILTIN_POLICIES[(c, a)] == (Risk.LOW, Rule.ALLOW)
        for c in Capability
        for a in (ChangeAction.DELETE, ChangeAction.REMOVE)
    )


@pytest.mark.parametrize(
    ("risk", "rule", "queued"),
    [
        (Risk.LOW, Rule.ALLOW, False),
        (Risk.LOW, Rule.AUTO, False),
        (Risk.MEDIUM, Rule.APPROVE, True),
        (Risk.MEDIUM, Rule.AUTO, False),
        (Risk.MEDIUM, Rule.ALLOW, False),
        (Risk.HIGH, Rule.APPROVE, True),
        # Never stored (the rule is refused), but evaluation must still queue it.
        (Risk.HIGH, Rule.AUTO, True),
        (Risk.HIGH, Rule.ALLOW, True),
    ],
)
def test_risk_and_rule_decide_whether_a_change_waits(risk: Risk, rule: Rule, queued: bool) -> None:
    assert caps.needs_approval(risk, rule) is queued


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"risk": "high", "rule": "auto"}, "always need approval"),
        ({"risk": "high", "rule": "allow"}, "always need approval"),
        ({"risk": "low", "rule": "approve"}, "always allowed"),
        ({"risk": "medium", "rule": "auto", "environment": "Prod!"}, "pattern"),
        ({"risk": "severe", "rule": "approve"}, "risk"),
        ({"risk": "medium", "rule": "auto", "extra": 1}, "extra"),
    ],
)
def test_incoherent_rules_are_refused(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PolicyRule.model_validate({"capability": "skill", "action": "create", **fields})


async def _noop(context: ApplyContext) -> dict[str, Any]:
    return {}


async def _other(context: ApplyContext) -> dict[str, Any]:
    return {"other": True}


def test_appliers_register_once_per_pair() -> None:
    assert caps.applier_for(Capability.MCP, ChangeAction.CREATE) is not None  # built in
    assert caps.applier_for(Capability.SKILL, ChangeAction.INSTALL) is None
    caps.register_applier("skill", "install", _noop)
    try:
        caps.register_applier("skill", "install", _noop)  # the same one again is harmless
        assert caps.applier_for(Capability.SKILL, ChangeAction.INSTALL) is _noop
        with pytest.raises(ValueError, match="already registered"):
            caps.register_applier("skill", "install", _other)
        with pytest.raises(ValueError, match="widget"):
            caps.register_applier("widget", "install", _other)
    finally:
        caps.unregister_applier("skill", "install")
    assert caps.applier_for(Capability.SKILL, ChangeAction.INSTALL) is None


@pytest.fixture
async def session(db_url: str) -> AsyncIterator[AsyncSession]:
    db = Database(db_url)
    await migrate.upgrade(db)
    try:
        async with db.session() as s:
            yield s
    finally:
        await db.dispose()


async def _org(db: AsyncSession) -> str:
    org = Org(name="acme")
    db.add(org)
    await db.commit()
    return org.id


async def _set(db: AsyncSession, org_id: str, key: str, value: Any) -> None:
    db.add(RuntimeConfig(org_id=org_id, key=key, value=value))
    await db.commit()


async def test_org_rules_win_and_the_environment_rule_wins_over_default(
    session: AsyncSession,
) -> None:
    org_id = await _org(session)
    decision = await caps.evaluate(session, org_id, Capability.SKILL, ChangeAction.CREATE)
    assert (decision.risk, decision.rule, decision.source) == (Risk.MEDIUM, Rule.APPROVE, "builtin")
    assert decision.environment == "default" and decision.needs_approval

    auto = PolicyRule(capability="skill", action="create", risk="medium", rule="auto")
    review = auto.model_copy(update={"environment": "prod", "rule": Rule.APPROVE})
    await caps.replace_rules(session, org_id, [auto, review])
    await session.commit()
    decision = await caps.evaluate(session, org_id, Capability.SKILL, ChangeAction.CREATE)
    assert (decision.rule, decision.source, decision.needs_approval) == (Rule.AUTO, "org", False)

    await _set(session, org_id, caps.ENVIRONMENT_KEY, "prod")
    decision = await caps.evaluate(session, org_id, Capability.SKILL, ChangeAction.CREATE)
    assert (decision.environment, decision.rule) == ("prod", Rule.APPROVE)
    # A combination without an org rule still falls back to the built-in one.
    other = await caps.evaluate(session, org_id, Capability.MCP, ChangeAction.DELETE)
    assert (other.risk, other.source) == (Risk.LOW, "builtin")

    # Replacing is total: the old rules go, and a duplicate is refused before anything changes.
    await caps.replace_rules(session, org_id, [review])
    await session.commit()
    assert [r.environment for r in await caps.org_rules(session, org_id)] == ["prod"]
    with pytest.raises(InvalidInput, match="more than one rule"):
        await caps.replace_rules(session, org_id, [auto, auto])


EXPIRY_CASES: list[tuple[Any, float]] = [
    (0.25, 0.25),
    (24, 24.0),
    ("6", 6.0),
    (0, DEFAULT_EXPIRY_HOURS),
    (-3, DEFAULT_EXPIRY_HOURS),
    (True, DEFAULT_EXPIRY_HOURS),
    ("soon", DEFAULT_EXPIRY_HOURS),
    ({"hours": 1}, DEFAULT_EXPIRY_HOURS),
    (10**9, DEFAULT_EXPIRY_HOURS),
]


async def test_expiry_hours_come_from_runtime_config_or_default(session: AsyncSession) -> None:
    org_id = await _org(session)
    assert await expiry_hours(session, org_id) == DEFAULT_EXPIRY_HOURS
    row = RuntimeConfig(org_id=org_id, key="approval_expiry_hours", value=None)
    session.add(row)
    for value, hours in EXPIRY_CASES:
        row.value = value
        await session.commit()
        assert await expiry_hours(session, org_id) == hours, value
