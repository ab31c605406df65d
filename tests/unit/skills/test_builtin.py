"""The skills Nexora ships: valid in the open format, and clean under the scanner."""

from __future__ import annotations

from pathlib import Path

import pytest

from nexora.skills.catalog import BUILTIN_DIR, SkillCatalog
from nexora.skills.manifest import parse_skill_md
from nexora.skills.scanner import scan_skill

BUILTIN = sorted(p for p in BUILTIN_DIR.iterdir() if p.is_dir())


def test_the_builtin_set_loads_without_problems(tmp_path: Path) -> None:
    listing = SkillCatalog(tmp_path).builtin()
    assert listing.problems == []
    assert [s.name for s in listing.skills] == ["documents", "file-organizer", "web-research"]


@pytest.mark.parametrize("folder", BUILTIN, ids=lambda p: p.name)
def test_builtin_skill_scans_clean_and_stays_small(folder: Path) -> None:
    report = scan_skill(folder)
    assert report.verdict == "clean", report.as_json()
    manifest, body = parse_skill_md((folder / "SKILL.md").read_text(encoding="utf-8"))
    assert manifest.matches_folder(folder.name)
    # The format's advice: instructions under 500 lines and about 5,000 tokens.
    assert len(body.splitlines()) < 500 and len(body) < 20_000
