"""What an agent is, as stored in `agents/<id>/agent.yaml`."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nexora.tools.policy import ToolPolicy

NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.\-]{0,63}$")
MAX_PERSONA_CHARS = 100_000
Capability = Annotated[str, Field(min_length=1, max_length=64)]


class MemorySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    core_block_chars: int = Field(default=2000, ge=100, le=20_000)
    auto_extract: bool = True


class SandboxSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["auto", "bubblewrap", "process", "off"] = "auto"
    network: bool = False
    timeout_seconds: int = Field(default=60, ge=1, le=3600)


class ChannelBinding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    channel_id: str
    enabled: bool = True


def _check_model_ref(value: str | None) -> str | None:
    if value is not None and (":" not in value or value.startswith(":") or value.endswith(":")):
        raise ValueError("must be 'provider:model', e.g. 'openai:gpt-4o-mini'")
    return value


def _check_name(value: str) -> str:
    if not NAME_PATTERN.match(value):
        raise ValueError(
            "1-64 characters: letters, digits, spaces, '.', '_' or '-', starting with a letter "
            "or digit"
        )
    return value


class AgentSpec(BaseModel):
    """The user-editable part of an agent, shared by the API and the YAML file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = Field(default="", max_length=2000)
    persona: str = Field(default="", max_length=MAX_PERSONA_CHARS)
    model: str | None = None
    tools: list[str] = Field(default_factory=list, max_length=200)
    tool_policy: ToolPolicy = Field(default_factory=ToolPolicy)
    skills: list[str] = Field(default_factory=list, max_length=200)
    # Names of the org's MCP servers this agent may use; enforced by the runtime.
    mcp_servers: list[str] = Field(default_factory=list, max_length=100)
    # Agents (names or ids, "*" for any) its `ask_agent` tool may hand sub-tasks to; the run's
    # user must also be granted the target. Empty: no delegation.
    delegate_to: list[str] = Field(default_factory=list, max_length=200)
    memory: MemorySettings = Field(default_factory=MemorySettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    channels: list[ChannelBinding] = Field(default_factory=list, max_length=50)
    project_id: str | None = None
    # Chat routing: "auto" picks a fast answer, a single-agent run or a team run per message;
    # "off" makes every message a normal run (the /fast, /deep and /confirm prefixes still work).
    routing: Literal["auto", "off"] = "auto"
    # The group (by name) whose team run takes the messages routing finds to need a team.
    team: str | None = Field(default=None, min_length=1, max_length=64)
    # What this agent can be asked for, besides its roles' capabilities; dispatch matches on it.
    capabilities: list[Capability] = Field(default_factory=list, max_length=50)

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        return _check_name(value)

    @field_validator("model")
    @classmethod
    def _valid_model(cls, value: str | None) -> str | None:
        return _check_model_ref(value)


class AgentFile(AgentSpec):
    """The YAML file also records identity, so a data dir can be re-indexed from disk alone."""

    id: str
    org_id: str


class AgentConfigError(ValueError):
    """An agent.yaml that cannot be used; the message says where and why."""


@lru_cache(maxsize=4096)
def _parse_cached(text: str, source: str) -> AgentFile:
    return _parse(text, source)


def parse_agent_yaml(text: str, source: str) -> AgentFile:
    """Parses and validates an agent file; the same text is parsed once (callers get a copy)."""
    return _parse_cached(text, source).model_copy(deep=True)


def _parse(text: str, source: str) -> AgentFile:
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AgentConfigError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise AgentConfigError(f"{source}: expected a mapping at the top level")
    try:
        return AgentFile.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'agent'}: {err['msg']}"
            for err in exc.errors()
        )
        raise AgentConfigError(f"{source}: {problems}") from exc


def dump_agent_yaml(agent: AgentFile) -> str:
    data = agent.model_dump(mode="json")
    ordered = {"id": data.pop("id"), "org_id": data.pop("org_id"), "name": data.pop("name"), **data}
    return yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=100)
