"""`load_skill`: the tool that discloses a skill's instructions and files when the model
asks, and `visible_skills`, which decides which skills an agent has.

The runtime puts the agent's skills in `ToolContext.extra[SKILLS_KEY]` (see `attach_skills`)
when it builds a run's context; the tool serves only those, and only files inside them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from nexora.errors import InvalidInput, NexoraError
from nexora.security.verdict import Danger
from nexora.skills.bundle import clean_path
from nexora.skills.catalog import SkillCatalog
from nexora.skills.manifest import parse_skill_md
from nexora.skills.prompt import LOAD_TOOL
from nexora.skills.skill import SKILL_FILE, Skill
from nexora.skills.store import sync_org
from nexora.tools.base import ToolContext, ToolSpec

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from nexora.agents.registry import AgentView

SKILLS_KEY = "skills"  # ToolContext.extra[SKILLS_KEY]: the agent's skills, list[Skill]
MAX_READ_CHARS = 60_000  # about 15k tokens: a whole reference file, not a whole book
MAX_LISTED_FILES = 200


async def visible_skills(
    catalog: SkillCatalog, db: AsyncSession, org_id: str, agent: AgentView
) -> list[Skill]:
    """The skills `agent` may use: built-in, the org's and its own, limited to its `skills`
    list when that names any. Brings this machine's copy of the org's skills up to date."""
    await sync_org(db, catalog, org_id)
    listing = await asyncio.to_thread(
        catalog.for_agent, org_id, agent.workspace, agent.config.skills
    )
    return listing.skills


def attach_skills(context: ToolContext, skills: Sequence[Skill]) -> None:
    context.extra[SKILLS_KEY] = list(skills)


class LoadSkillInput(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(max_length=64, description="The skill's name, from <available_skills>.")
    path: str | None = Field(
        default=None,
        max_length=300,
        description="A file or folder inside the skill, relative to it (for example "
        "'references/forms.md' or 'scripts'). Leave it out to read the skill's instructions.",
    )


async def _run(args: LoadSkillInput, context: ToolContext) -> str:
    skills = {s.name: s for s in context.extra.get(SKILLS_KEY, [])}
    skill = skills.get(args.name)
    if skill is None:
        available = ", ".join(sorted(skills)) or "none"
        return f"There is no skill named {args.name!r}. Available skills: {available}."
    if args.path is None or args.path.strip() in ("", ".", SKILL_FILE):
        return await asyncio.to_thread(_instructions, skill)
    return await asyncio.to_thread(_resource, skill, args.path.strip())


def _instructions(skill: Skill) -> str:
    try:
        _manifest, body = parse_skill_md(skill.skill_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, NexoraError) as exc:
        # Changed on disk since the run listed it; the next run will not offer it.
        return f"The skill {skill.name!r} cannot be read right now: {exc}"
    files = [f for f in _files(skill.path) if f != SKILL_FILE]
    listing = "\n".join(files) if files else "(none)"
    return (
        f'<skill name="{skill.name}" folder="{skill.path}">\n'
        f"<files>\n{listing}\n</files>\n"
        "Paths in the instructions are relative to the skill's folder; read files with "
        f"`{LOAD_TOOL}` and a `path`, and run scripts by their full path in that folder.\n"
        f"<instructions>\n{_capped(body.strip())}\n</instructions>\n</skill>"
    )


def _resource(skill: Skill, raw: str) -> str:
    try:
        relative = clean_path(raw.rstrip("/"))
    except InvalidInput as exc:
        return f"Refused: {exc.detail}."
    root = skill.path.resolve()
    target = (root / relative).resolve() if relative else None
    # Resolving follows links, so a link inside the skill cannot lead out of it either.
    if target is None or not target.is_relative_to(root) or not target.exists():
        return f"The skill {skill.name!r} has no file {raw!r}."
    if target.is_dir():
        prefix = target.relative_to(root).as_posix() + "/"
        inside = [f for f in _files(skill.path) if f.startswith(prefix)]
        return "\n".join(inside) if inside else f"{raw!r} is an empty folder."
    data = target.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return f"{relative} is a binary file of {len(data)} bytes, at {target}."
    return _capped(text)


def _files(root: Path) -> list[str]:
    found: list[str] = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        found.append(relative.as_posix())
        if len(found) >= MAX_LISTED_FILES:
            break
    return found


def _capped(text: str) -> str:
    if len(text) <= MAX_READ_CHARS:
        return text
    return text[:MAX_READ_CHARS] + f"\n[… cut: {len(text) - MAX_READ_CHARS} more characters]"


LOAD_SKILL: ToolSpec[LoadSkillInput] = ToolSpec(
    name=LOAD_TOOL,
    description=(
        "Read one of your skills: its instructions (give only `name`), or a file or folder "
        "inside it (give `path` too). Use it before a task that matches a skill."
    ),
    input_model=LoadSkillInput,
    danger=Danger.SAFE,
    run=_run,
)
