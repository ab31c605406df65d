"""A playbook as written: YAML (or the same fields as JSON) checked into a typed definition.

Structure is checked here, with the path of every mistake (`stages[2].review.on_reject`).
Whether the named owner, team, roles and agents exist in the org is checked when the playbook
is saved (`store.py`); which agent does each stage, and whether the caller may use it, is
decided when a run starts (`assign.py`): a team's members can change between the two.
"""

from __future__ import annotations

from typing import Any, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from nexora.errors import InvalidInput

MAX_YAML_CHARS = 100_000
Name = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")


class Review(BaseModel):
    """A stage that judges the work: its agent must call `review_decision`."""

    model_config = ConfigDict(extra="forbid")

    on_reject: str = Field(min_length=1, max_length=64)


class StageDef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Name
    role: str | None = Field(default=None, min_length=1, max_length=64)
    agent: str | None = Field(default=None, min_length=1, max_length=100)
    instructions: str = Field(default="", max_length=20_000)
    # Artifact kinds the stage must deliver before it counts as done.
    delivers: list[str] = Field(default_factory=list, max_length=20)
    review: Review | None = None
    # How often the stage may run again after a failure, a timeout or a rejection of its work.
    retries: int = Field(default=2, ge=0, le=10)
    timeout_minutes: float = Field(default=30, gt=0, le=7 * 24 * 60)

    @model_validator(mode="after")
    def _one_worker(self) -> Self:
        if (self.role is None) == (self.agent is None):
            raise ValueError("name exactly one of `role` or `agent`")
        return self


class PlaybookDef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Name
    description: str = Field(default="", max_length=5_000)
    # A username or user id of the org; the creator when left out.
    owner: str | None = Field(default=None, min_length=1, max_length=64)
    # The team (group name or id) whose members hold the stages' roles.
    team: str | None = Field(default=None, min_length=1, max_length=64)
    stages: list[StageDef] = Field(min_length=1, max_length=30)

    @model_validator(mode="after")
    def _stages_fit(self) -> Self:
        seen: dict[str, int] = {}
        for index, stage in enumerate(self.stages):
            if stage.name in seen:
                raise _StageError(index, "name", f"duplicate stage name {stage.name!r}")
            if stage.review is not None and stage.review.on_reject not in seen:
                raise _StageError(
                    index,
                    "review.on_reject",
                    f"{stage.review.on_reject!r} is not an earlier stage",
                )
            seen[stage.name] = index
        return self

    def index_of(self, stage: str) -> int:
        return next(i for i, s in enumerate(self.stages) if s.name == stage)

    def to_yaml(self) -> str:
        return yaml.safe_dump(
            self.model_dump(exclude_none=True), sort_keys=False, allow_unicode=True
        )


class _StageError(ValueError):
    """A mistake in one stage, reported at its path rather than at the playbook's root."""

    def __init__(self, index: int, field: str, message: str) -> None:
        super().__init__(message)
        self.path = f"stages[{index}].{field}"
        self.message = message


def parse_yaml(text: str) -> PlaybookDef:
    """The definition a YAML text describes, or 422 naming where it is wrong."""
    if len(text) > MAX_YAML_CHARS:
        raise InvalidInput(f"yaml: longer than {MAX_YAML_CHARS} characters")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidInput(f"yaml: not valid YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise InvalidInput("yaml: must be a mapping with name, stages, ...")
    return parse_fields(data)


def parse_fields(data: dict[str, Any]) -> PlaybookDef:
    try:
        return PlaybookDef.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput(_describe(exc), errors=_paths(exc)) from None


def _paths(exc: ValidationError) -> list[dict[str, str]]:
    return [{"path": _path_of(error), "message": _message_of(error)} for error in exc.errors()]


def _describe(exc: ValidationError) -> str:
    return "; ".join(f"{e['path']}: {e['message']}" for e in _paths(exc))


def _path_of(error: Any) -> str:
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, _StageError):
        return cause.path
    path = ""
    for part in error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path or "playbook"


def _message_of(error: Any) -> str:
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, ValueError):
        return str(cause)
    return str(error["msg"])
