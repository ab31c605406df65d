"""Which skills an org and an agent see: precedence, broken folders, restriction, caching."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nexora.skills.catalog import SkillCatalog
from nexora.skills.skill import SkillListing, SkillSource
from tests.unit.skills.helpers import MALICIOUS_SCRIPT, write_skill

ORG = "org-1"


@pytest.fixture
def layout(tmp_path: Path) -> tuple[SkillCatalog, Path, Path, Path]:
    builtin, org_root, workspace = tmp_path / "builtin", tmp_path / "orgs", tmp_path / "ws"
    write_skill(builtin, "pdf", "Built-in PDF reading.")
    write_skill(builtin, "search", "Built-in search.")
    write_skill(org_root / ORG, "pdf", "The org's own PDF skill.")
    write_skill(org_root / ORG, "reports", "Org reports.")
    write_skill(workspace / "skills", "reports", "The agent's way of writing reports.")
    write_skill(workspace / "skills", "notes", "The agent's notes.")
    return SkillCatalog(org_root, builtin), builtin, org_root, workspace


def _sources(listing: SkillListing) -> dict[str, tuple[str, str]]:
    return {s.name: (s.source.value, s.description) for s in listing.skills}


def test_agent_beats_org_beats_builtin(layout: tuple[SkillCatalog, Path, Path, Path]) -> None:
    catalog, _, _, workspace = layout
    assert _sources(catalog.for_org(ORG)) == {
        "pdf": ("org", "The org's own PDF skill."),
        "reports": ("org", "Org reports."),
        "search": ("builtin", "Built-in search."),
    }
    assert _sources(catalog.for_agent(ORG, workspace)) == {
        "notes": ("agent", "The agent's notes."),
        "pdf": ("org", "The org's own PDF skill."),
        "reports": ("agent", "The agent's way of writing reports."),
        "search": ("builtin", "Built-in search."),
    }
    # Another org sees only the built-in skills.
    assert set(_sources(catalog.for_org("org-2"))) == {"pdf", "search"}
    assert catalog.for_org("org-2").by_name()["pdf"].source is SkillSource.BUILTIN


def test_an_agent_list_restricts_and_names_what_is_missing(
    layout: tuple[SkillCatalog, Path, Path, Path],
) -> None:
    catalog, _, _, workspace = layout
    listing = catalog.for_agent(ORG, workspace, ["search", "notes", "ghost"])
    assert sorted(_sources(listing)) == ["notes", "search"]
    assert [(p.name, "no such skill" in p.error) for p in listing.problems] == [("ghost", True)]


def test_broken_skills_are_reported_and_the_rest_still_load(
    layout: tuple[SkillCatalog, Path, Path, Path],
) -> None:
    catalog, _, org_root, workspace = layout
    bad_yaml = org_root / ORG / "bad-yaml"
    bad_yaml.mkdir()
    (bad_yaml / "SKILL.md").write_text("---\nname: [unclosed\n---\nbody\n")
    write_skill(org_root / ORG, "other-name", folder="wrong-folder")
    write_skill(org_root / ORG, "Upper", folder="Upper")
    no_front = workspace / "skills" / "plain"
    no_front.mkdir()
    (no_front / "SKILL.md").write_text("just text, no front matter\n")
    listing = catalog.for_agent(ORG, workspace)
    errors = {p.name: p.error for p in listing.problems}
    assert set(errors) == {"bad-yaml", "wrong-folder", "Upper", "plain"}
    assert "does not match its folder" in errors["wrong-folder"]
    assert "front matter" in errors["plain"]
    assert {"pdf", "reports", "notes", "search"} <= set(_sources(listing))


def test_unvetted_skills_are_scanned_when_loaded_and_blocked_ones_hidden(
    layout: tuple[SkillCatalog, Path, Path, Path],
) -> None:
    catalog, _, _, workspace = layout
    write_skill(workspace / "skills", "helper", files={"scripts/run.py": MALICIOUS_SCRIPT})
    listing = catalog.for_agent(ORG, workspace)
    assert "helper" not in _sources(listing)
    (problem,) = [p for p in listing.problems if p.name == "helper"]
    assert "blocked by the skill scanner" in problem.error
    assert listing.by_name()["notes"].scan_verdict == "clean"
    # Built-in skills are not scanned at load: the test suite vets them.
    assert listing.by_name()["search"].scan_verdict is None


def test_the_cache_rereads_only_what_changed(
    layout: tuple[SkillCatalog, Path, Path, Path],
) -> None:
    catalog, _, org_root, _ = layout
    first = catalog.for_org(ORG).by_name()["reports"]
    assert catalog.for_org(ORG).by_name()["reports"] is first  # not re-read
    skill_file = org_root / ORG / "reports" / "SKILL.md"
    skill_file.write_text(skill_file.read_text().replace("Org reports.", "Quarterly reports."))
    stat = skill_file.stat()
    os.utime(skill_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert catalog.for_org(ORG).by_name()["reports"].description == "Quarterly reports."
    write_skill(org_root / ORG, "fresh", "Added later.")
    assert "fresh" in _sources(catalog.for_org(ORG))
