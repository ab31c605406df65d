"""Team templates: roles, an agent per role, a group with its lead and a playbook, as YAML files
shipped in `nexora/teams/templates/`."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from nexora.errors import NotFound
from nexora.tools.policy import RoleRules, ToolPolicy

Name = Annotated[str, Field(min_length=1, max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TemplateRole(_Strict):
    name: Name
    description: str = ""
    instructions: str = ""
    tool_rules: RoleRules = Field(default_factory=RoleRules)
    capabilities: list[Name] = Field(default_factory=list)


class TemplateAgent(_Strict):
    name: Name
    role: Name
    description: str = ""
    persona: str = ""
    tools: list[str] = Field(default_factory=list)
    tool_policy: ToolPolicy = Field(default_factory=ToolPolicy)
    capabilities: list[Name] = Field(default_factory=list)


class TemplateGroup(_Strict):
    name: Name
    description: str = ""
    default_mode: Literal["serial", "parallel"] = "serial"
    lead: Name
    members: list[Name]  # agent names, in the order serial runs visit them


class StageReview(_Strict):
    on_reject: Name  # the earlier stage the work goes back to when this one rejects it


class PlaybookStage(_Strict):
    """A stage in the playbook engine's own format (`nexora.teams.playbooks.definition`)."""

    name: Name
    role: Name
    instructions: str = ""
    review: StageReview | None = None


class TemplatePlaybook(_Strict):
    name: Name
    description: str = ""
    stages: list[PlaybookStage] = Field(min_length=1)


class Template(_Strict):
    name: Name
    title: str
    description: str = ""
    roles: list[TemplateRole]
    agents: list[TemplateAgent]
    group: TemplateGroup
    playbook: TemplatePlaybook | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Template:
        roles = {role.name for role in self.roles}
        agents = {agent.name for agent in self.agents}
        for agent in self.agents:
            if agent.role not in roles:
                raise ValueError(f"agent {agent.name!r}: unknown role {agent.role!r}")
        if unknown := set(self.group.members) - agents:
            raise ValueError(f"group members without an agent: {sorted(unknown)}")
        if self.group.lead not in self.group.members:
            raise ValueError(f"group lead {self.group.lead!r} is not a member")
        if self.playbook is not None:
            earlier: set[str] = set()
            for stage in self.playbook.stages:
                if stage.role not in roles:
                    raise ValueError(f"playbook stage {stage.name!r}: unknown role {stage.role!r}")
                if stage.review is not None and stage.review.on_reject not in earlier:
                    raise ValueError(
                        f"playbook stage {stage.name!r}: {stage.review.on_reject!r} is not an "
                        "earlier stage"
                    )
                earlier.add(stage.name)
        return self

    def role_of(self, agent: str) -> str:
        return next(a.role for a in self.agents if a.name == agent)


@cache
def templates() -> dict[str, Template]:
    """Every shipped template by name (read once per process)."""
    found: dict[str, Template] = {}
    folder = resources.files("nexora.teams") / "templates"
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            template = Template.model_validate(yaml.safe_load(entry.read_text(encoding="utf-8")))
            found[template.name] = template
    return found


def get_template(name: str) -> Template:
    template = templates().get(name)
    if template is None:
        known = ", ".join(sorted(templates()))
        raise NotFound(f"no template named {name!r} (there are: {known})")
    return template
