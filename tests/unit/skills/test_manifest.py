"""SKILL.md front matter per the Agent Skills format."""

from __future__ import annotations

import pytest

from nexora.skills.manifest import SkillManifest, SkillManifestError, parse_skill_md


def skill_md(front: str, body: str = "# Title\n\nDo the task.\n") -> str:
    return f"---\n{front}\n---\n{body}"


def test_all_fields_parse() -> None:
    manifest, body = parse_skill_md(
        skill_md(
            "name: pdf-tools\ndescription: Work with PDFs.\nlicense: MIT\n"
            "compatibility: Needs pypdf\nmetadata:\n  author: me\n  version: 1.0\n"
            "allowed-tools: Bash Read"
        )
    )
    assert manifest.name == "pdf-tools"
    assert manifest.metadata == {"author": "me", "version": "1.0"}
    assert manifest.allowed_tools == ("Bash", "Read")
    assert body.startswith("# Title")
    assert manifest.format_warnings == []
    assert manifest.matches_folder("pdf-tools")
    assert not manifest.matches_folder("pdf")


@pytest.mark.parametrize(
    "name", ["PDF-tools", "-pdf", "pdf-", "pdf--tools", "pdf_tools", "a" * 65, "pdf tools", ""]
)
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(SkillManifestError) as raised:
        parse_skill_md(skill_md(f"name: '{name}'\ndescription: x"))
    assert any(p.startswith("name") for p in raised.value.problems)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("# no front matter\n", "missing YAML front matter"),
        ("---\nname: [unclosed\n---\nbody", "not valid YAML"),
        ("---\n- a list\n---\nbody", "must be a mapping"),
        (skill_md("name: ok"), "description"),
        (skill_md("name: ok\ndescription: '   '"), "description"),
        (skill_md("name: ok\ndescription: x\nmetadata:\n  nested: {a: 1}"), "metadata"),
    ],
)
def test_invalid_front_matter(text: str, problem: str) -> None:
    with pytest.raises(SkillManifestError) as raised:
        parse_skill_md(text)
    assert problem in raised.value.detail


def test_over_long_texts_load_with_warnings() -> None:
    manifest, _ = parse_skill_md(
        skill_md(f"name: ok\ndescription: {'d' * 1100}\ncompatibility: {'c' * 501}")
    )
    assert len(manifest.format_warnings) == 2


def test_extra_fields_are_kept() -> None:
    manifest, _ = parse_skill_md(skill_md("name: ok\ndescription: x\nuser-invocable: true"))
    assert manifest.extra_fields == {"user-invocable": True}


def test_byte_order_mark_and_crlf() -> None:
    manifest, body = parse_skill_md("\ufeff---\r\nname: ok\r\ndescription: x\r\n---\r\nbody")
    assert isinstance(manifest, SkillManifest)
    assert body == "body"
