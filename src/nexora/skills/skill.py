"""What the catalog hands out: a usable skill, or a folder that could not be used and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from nexora.skills.manifest import SKILL_FILE, SkillManifest

__all__ = ["INSTALL_RECORD", "SKILL_FILE", "Skill", "SkillListing", "SkillProblem", "SkillSource"]

# Written next to an installed skill's files by the store; never part of the skill itself.
INSTALL_RECORD = ".nexora-install.json"


class SkillSource(StrEnum):
    """Where a skill comes from; on a name clash the later one here wins."""

    BUILTIN = "builtin"
    ORG = "org"
    AGENT = "agent"

    @property
    def precedence(self) -> int:
        return _PRECEDENCE[self]


_PRECEDENCE = {SkillSource.BUILTIN: 0, SkillSource.ORG: 1, SkillSource.AGENT: 2}


@dataclass(frozen=True, slots=True)
class Skill:
    """A valid skill on disk. `path` is its folder; the body is read only when loaded."""

    name: str
    description: str
    source: SkillSource
    path: Path
    manifest: SkillManifest
    # The scanner's verdict ("clean", "warn") and findings: from install for org skills,
    # from loading for agent skills, None for built-in ones (vetted by the test suite).
    scan_verdict: str | None = None
    findings: tuple[dict[str, Any], ...] = field(default=())

    @property
    def skill_file(self) -> Path:
        return self.path / SKILL_FILE

    def as_json(self) -> dict[str, Any]:
        """What listings show (the folder is left out: it is this machine's business)."""
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source.value,
            "scan_verdict": self.scan_verdict,
            "findings": list(self.findings),
        }


@dataclass(frozen=True, slots=True)
class SkillProblem:
    """A folder that looks like a skill but cannot be used; listed so people can fix it."""

    name: str  # the folder name: the only name a broken manifest is sure to have
    source: SkillSource
    path: Path
    error: str

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "source": self.source.value, "error": self.error}


@dataclass(frozen=True, slots=True)
class SkillListing:
    skills: list[Skill]
    problems: list[SkillProblem]

    def by_name(self) -> dict[str, Skill]:
        return {skill.name: skill for skill in self.skills}

    def as_json(self) -> dict[str, Any]:
        return {
            "skills": [s.as_json() for s in self.skills],
            "invalid": [p.as_json() for p in self.problems],
        }
