"""The skills block of an agent's system prompt: names and descriptions only.

Progressive disclosure, as the Agent Skills format intends: about a hundred tokens per skill
sit in every prompt; the instructions cost tokens only once the model loads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from nexora.skills.skill import Skill

LOAD_TOOL = "load_skill"


def skills_prompt(skills: Sequence[Skill]) -> str:
    """An `<available_skills>` block and how to use it; empty when there are no skills."""
    if not skills:
        return ""
    entries = "\n".join(
        f"<skill>\n<name>{escape(s.name)}</name>\n"
        f"<description>{escape(' '.join(s.description.split()))}</description>\n</skill>"
        for s in sorted(skills, key=lambda s: s.name)
    )
    return (
        "You have skills: instructions for particular kinds of task. When a task matches a "
        f"skill's description, call `{LOAD_TOOL}` with its name before you start and follow "
        f"what it says; `{LOAD_TOOL}` with a `path` reads a file the instructions refer to.\n"
        f"<available_skills>\n{entries}\n</available_skills>"
    )
