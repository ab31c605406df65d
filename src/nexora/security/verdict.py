"""What a guard says about an action: a verdict, how dangerous it is, and why."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any


class Danger(IntEnum):
    """How much harm an action can do; ordered, so the highest of several findings wins."""

    SAFE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, value: str) -> Danger:
        try:
            return cls[value.upper()]
        except KeyError:
            raise ValueError(f"unknown danger level {value!r}") from None


class Verdict(StrEnum):
    ALLOW = "allow"
    APPROVAL = "approval"  # may run once a human says so
    BLOCK = "block"  # never runs, whoever approves

    @property
    def rank(self) -> int:
        return _VERDICT_RANK[self]


_VERDICT_RANK = {Verdict.ALLOW: 0, Verdict.APPROVAL: 1, Verdict.BLOCK: 2}


@dataclass(frozen=True, slots=True)
class Reason:
    """One finding: a stable rule id (for tests, allow lists and audit) and a sentence."""

    rule: str
    message: str
    verdict: Verdict
    danger: Danger

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "message": self.message,
            "verdict": self.verdict.value,
            "danger": self.danger.label,
        }


@dataclass(frozen=True, slots=True)
class GuardResult:
    verdict: Verdict = Verdict.ALLOW
    danger: Danger = Danger.SAFE
    reasons: tuple[Reason, ...] = field(default=())

    @classmethod
    def of(cls, reasons: Iterable[Reason], floor: Danger = Danger.SAFE) -> GuardResult:
        """The strictest verdict and highest danger among the findings."""
        found = tuple(reasons)
        verdict = max((r.verdict for r in found), key=lambda v: v.rank, default=Verdict.ALLOW)
        danger = max((r.danger for r in found), default=floor)
        return cls(verdict=verdict, danger=max(danger, floor), reasons=found)

    def merge(self, *others: GuardResult) -> GuardResult:
        reasons = list(self.reasons)
        for other in others:
            reasons.extend(r for r in other.reasons if r not in reasons)
        floor = max([self.danger, *(o.danger for o in others)])
        return GuardResult.of(reasons, floor)

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOW

    def as_json(self) -> dict[str, Any]:
        """The shape `nexora guard` prints and `/api/admin/guard/check` returns."""
        return {
            "verdict": self.verdict.value,
            "danger": self.danger.label,
            "reasons": [r.as_json() for r in self.reasons],
        }


def block(rule: str, message: str, danger: Danger = Danger.CRITICAL) -> Reason:
    return Reason(rule, message, Verdict.BLOCK, danger)


def approval(rule: str, message: str, danger: Danger = Danger.HIGH) -> Reason:
    return Reason(rule, message, Verdict.APPROVAL, danger)


def note(rule: str, message: str, danger: Danger) -> Reason:
    """A finding that raises the danger level without deciding the verdict itself."""
    return Reason(rule, message, Verdict.ALLOW, danger)
