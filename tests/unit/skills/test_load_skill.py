"""`load_skill`: discloses what the agent may see, and nothing outside its skills."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nexora.agents.config import SandboxSettings
from nexora.config import Settings
from nexora.security.verdict import Danger
from nexora.skills.catalog import SkillCatalog
from nexora.skills.prompt import skills_prompt
from nexora.skills.tool import LOAD_SKILL, MAX_READ_CHARS, LoadSkillInput, attach_skills
from nexora.tools.base import ToolContext
from tests.unit.skills.helpers import write_skill

BODY = "# Steps\n\n1. Read `references/guide.md`.\n2. Run `scripts/go.py`.\n"


@pytest.fixture
def context(tmp_path: Path) -> ToolContext:
    builtin = tmp_path / "builtin"
    write_skill(
        builtin,
        "guide",
        "Guides <people> & teams.",
        body=BODY,
        files={
            "references/guide.md": "The guide.",
            "references/long.md": "x" * (MAX_READ_CHARS + 10),
            "scripts/go.py": "print('go')\n",
        },
    )
    (builtin / "guide" / "assets").mkdir()
    (builtin / "guide" / "assets" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    (builtin / "guide" / "references" / "escape.md").symlink_to(tmp_path / "secret.txt")
    (tmp_path / "secret.txt").write_text("top secret")
    write_skill(builtin, "hidden", "Not for this agent.")
    skills = SkillCatalog(tmp_path / "orgs", builtin).for_agent("o", tmp_path / "ws", ["guide"])
    ctx = ToolContext(
        org_id="o",
        user_id=None,
        agent_id="a",
        run_id="r",
        workspace=tmp_path / "ws",
        files=None,  # type: ignore[arg-type]  # load_skill never touches workspace files
        sandbox=SandboxSettings(),
        settings=Settings(home=tmp_path / "home"),
    )
    attach_skills(ctx, skills.skills)
    return ctx


async def _load(ctx: ToolContext, **args: Any) -> str:
    parsed = LoadSkillInput.model_validate(args)
    assert LOAD_SKILL.check(parsed, ctx).danger is Danger.SAFE
    return await LOAD_SKILL.run(parsed, ctx)


async def test_instructions_come_with_the_file_list(context: ToolContext) -> None:
    text = await _load(context, name="guide")
    assert BODY.strip() in text
    assert "references/guide.md" in text and "scripts/go.py" in text and "assets/logo.png" in text
    assert "name: guide" not in text  # the front matter is already in the prompt


async def test_files_and_folders_inside_the_skill(context: ToolContext) -> None:
    assert await _load(context, name="guide", path="references/guide.md") == "The guide."
    assert (await _load(context, name="guide", path="scripts")).splitlines() == ["scripts/go.py"]
    assert "binary file of 10 bytes" in await _load(context, name="guide", path="assets/logo.png")
    long = await _load(context, name="guide", path="references/long.md")
    assert long.startswith("x" * 100) and "cut: 10 more characters" in long


@pytest.mark.parametrize(
    "path",
    [
        "../hidden/SKILL.md",
        "/etc/passwd",
        "references/../../hidden/SKILL.md",
        "references/escape.md",
    ],
)
async def test_nothing_outside_the_skill_is_readable(context: ToolContext, path: str) -> None:
    text = await _load(context, name="guide", path=path)
    assert "top secret" not in text and "Not for this agent" not in text
    assert text.startswith(("Refused", "The skill 'guide' has no file"))


async def test_skills_the_agent_does_not_have_are_unknown(context: ToolContext) -> None:
    text = await _load(context, name="hidden")
    assert text == "There is no skill named 'hidden'. Available skills: guide."


def test_prompt_block_has_names_and_descriptions_only(context: ToolContext) -> None:
    skills = context.extra["skills"]
    block = skills_prompt(skills)
    assert "<name>guide</name>" in block
    assert "<description>Guides &lt;people&gt; &amp; teams.</description>" in block
    assert "load_skill" in block and "Read `references/guide.md`" not in block
    assert skills_prompt([]) == ""
