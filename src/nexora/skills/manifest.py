"""The `SKILL.md` of an Agent Skill: YAML front matter, then markdown instructions.

Follows the open Agent Skills format (agentskills.io): `name` (1-64 lowercase letters, digits
and single hyphens, the same as the skill's folder), `description` (1-1024 characters),
optional `license`, `compatibility` (1-500 characters), `metadata` (a string-to-string map)
and `allowed-tools` (space-delimited). Fields outside the format are kept in `extra_fields`:
agents such as Claude Code add their own, and refusing them would refuse real skills.

What makes a skill unusable (no name, a name that is not a safe identifier, no description,
front matter that is not a mapping) raises `SkillManifestError`. An over-long description or
compatibility note only bloats the prompt, so it is accepted and listed in
`format_warnings`: published skills exceed the limits and still work.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nexora.errors import InvalidInput

SKILL_FILE = "SKILL.md"
NAME_MAX = 64
DESCRIPTION_MAX = 1024
COMPATIBILITY_MAX = 500

_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M)


class SkillManifestError(InvalidInput):
    """A `SKILL.md` that is not a valid Agent Skill; `problems` lists each reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid SKILL.md: " + "; ".join(problems))
        self.problems = problems


class SkillManifest(BaseModel):
    """The front matter of a `SKILL.md`."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)

    name: str = Field(min_length=1, max_length=NAME_MAX)
    description: str = Field(min_length=1)
    license: str | None = None
    compatibility: str | None = Field(default=None, min_length=1)
    metadata: dict[str, str] = Field(default_factory=dict)
    allowed_tools: tuple[str, ...] = Field(default=(), alias="allowed-tools")

    @field_validator("name")
    @classmethod
    def _name_format(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError(
                "must be lowercase letters, digits and single hyphens, "
                "not starting or ending with a hyphen"
            )
        return value

    @field_validator("description")
    @classmethod
    def _description_text(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("metadata", mode="before")
    @classmethod
    def _metadata_strings(cls, value: Any) -> Any:
        # YAML reads `version: 1.0` as a float; the format means the text the author wrote.
        if isinstance(value, dict):
            return {
                str(k): str(v) if isinstance(v, str | int | float | bool) else v
                for k, v in value.items()
            }
        return value

    @field_validator("allowed_tools", mode="before")
    @classmethod
    def _split_tools(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(value.split())
        return value

    @property
    def extra_fields(self) -> dict[str, Any]:
        """Front-matter keys the Agent Skills format does not define."""
        return dict(self.model_extra or {})

    @property
    def format_warnings(self) -> list[str]:
        """Departures from the format's limits that do not stop the skill from loading."""
        warnings = []
        if len(self.description) > DESCRIPTION_MAX:
            warnings.append(
                f"description has {len(self.description)} characters, over {DESCRIPTION_MAX}"
            )
        if self.compatibility is not None and len(self.compatibility) > COMPATIBILITY_MAX:
            warnings.append(
                f"compatibility has {len(self.compatibility)} characters, over {COMPATIBILITY_MAX}"
            )
        return warnings

    def matches_folder(self, folder_name: str) -> bool:
        """The format asks that `name` equal the skill's folder name."""
        return unicodedata.normalize("NFKC", folder_name) == self.name


def split_front_matter(text: str) -> tuple[str, str, int]:
    """The YAML text, the markdown body, and the line the body starts on (1-based)."""
    text = text.removeprefix("\ufeff")
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise SkillManifestError(["missing YAML front matter between '---' lines at the top"])
    body_line = text[: match.end()].count("\n") + 1
    return match.group(1), text[match.end() :], body_line


def parse_skill_md(text: str) -> tuple[SkillManifest, str]:
    """The manifest and the instructions of a `SKILL.md`; raises SkillManifestError."""
    front, body, _ = split_front_matter(text)
    try:
        data = yaml.safe_load(front)
    except yaml.YAMLError as error:
        raise SkillManifestError([f"front matter is not valid YAML: {error}"]) from None
    if not isinstance(data, dict):
        raise SkillManifestError(["front matter must be a mapping of fields"])
    try:
        manifest = SkillManifest.model_validate(data)
    except ValidationError as error:
        raise SkillManifestError(_problems(error)) from None
    return manifest, body


def _problems(error: ValidationError) -> list[str]:
    problems = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"]) or "front matter"
        message = item["msg"].removeprefix("Value error, ")
        problems.append(f"{field}: {message}")
    return problems
