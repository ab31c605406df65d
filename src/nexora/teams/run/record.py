"""What a member contributed to a team run: the checkpoint (a `RunStep` of kind "member")
that lets a resumed run skip the member, and what the lead and the blackboard read."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

MEMBER_STEP = "member"
EXCERPT_CHARS = 300


class Evidence(BaseModel):
    """A tool result the member worked from."""

    model_config = ConfigDict(frozen=True)

    tool: str
    excerpt: str

    @classmethod
    def of(cls, tool: str, content: str) -> Evidence:
        text = " ".join(content.split())
        if len(text) > EXCERPT_CHARS:
            text = text[:EXCERPT_CHARS] + " […]"
        return cls(tool=tool, excerpt=text)


class Contribution(BaseModel):
    model_config = ConfigDict(frozen=True)

    member_id: str
    agent_id: str
    agent: str
    role: str
    child_run_id: str
    status: Literal["done", "failed"]
    proposal: str | None = None
    evidence: list[Evidence] = []
    error: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def ok(self) -> bool:
        return self.status == "done"

    def as_step(self) -> list[dict[str, Any]]:
        return [self.model_dump(mode="json")]

    @classmethod
    def of_step(cls, messages: list[Any]) -> Contribution:
        return cls.model_validate(messages[0])
