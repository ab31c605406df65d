"""How the secretary's rules name roles when no model does: capabilities the objective names,
and the router's role cues (English and Chinese) mapped onto the capabilities on offer."""

from __future__ import annotations

from nexora.teams.secretary import roles_by_rules
from nexora.teams.selection import normalize

KNOWN = ["api", "backend", "css", "frontend", "qa", "tester", "testing"]


def test_capabilities_named_in_the_objective() -> None:
    assert roles_by_rules("Fix the CSS of the frontend", KNOWN) == ["css", "frontend"]


def test_role_cues_in_english_and_chinese() -> None:
    assert roles_by_rules("Build the server-side part and test it", KNOWN) == [
        "backend",
        "testing",
    ]
    assert roles_by_rules("做一个后端接口并测试", KNOWN) == ["backend", "testing"]


def test_nothing_recognisable() -> None:
    assert roles_by_rules("Make it better", KNOWN) == []


def test_capabilities_compare_loosely() -> None:
    assert normalize("Code_Review") == normalize("code-review") == "code review"
