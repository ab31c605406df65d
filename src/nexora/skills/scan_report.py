"""What a skill scan found: findings with a severity, and the verdict they add up to."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from nexora.security.verdict import Danger, Reason, Verdict


class Severity(StrEnum):
    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)

    @classmethod
    def of_reason(cls, reason: Reason) -> Severity:
        """A guard's reason as a scan severity: what a guard blocks blocks the skill.

        A script asking for approval (a subprocess, a raw socket) is what many honest skills
        do, so it warns; the human approves it again when the agent runs it.
        """
        if reason.verdict is Verdict.BLOCK:
            return cls.CRITICAL if reason.danger is Danger.CRITICAL else cls.HIGH
        if reason.verdict is Verdict.APPROVAL:
            return cls.MEDIUM
        return cls.LOW if reason.danger >= Danger.MEDIUM else cls.INFO


class ScanVerdict(StrEnum):
    CLEAN = "clean"
    WARN = "warn"  # installable; an admin should read the findings
    BLOCK = "block"  # not installable


@dataclass(frozen=True, slots=True)
class Finding:
    severity: Severity
    rule: str  # stable id, e.g. "secret.github_token"
    file: str  # relative to the skill folder, with forward slashes
    line: int | None
    message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "rule": self.rule,
            "file": self.file,
            "line": self.line,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class ScanReport:
    findings: tuple[Finding, ...] = field(default=())

    @property
    def verdict(self) -> ScanVerdict:
        worst = max((f.severity.rank for f in self.findings), default=-1)
        if worst >= Severity.HIGH.rank:
            return ScanVerdict.BLOCK
        if worst >= Severity.LOW.rank:
            return ScanVerdict.WARN
        return ScanVerdict.CLEAN

    def as_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict.value, "findings": [f.as_json() for f in self.findings]}
