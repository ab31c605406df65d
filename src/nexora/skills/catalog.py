"""The skills an org or an agent can use, found on disk and cached by file times.

Three places, later ones winning on a name clash: the built-in skills shipped in this
package, the org's installed skills (`$NEXORA_HOME/skills/<org_id>/<name>/`, put there by the
store from the database), and the agent's own `skills/` folder in its workspace. A folder that
cannot be used is reported as a problem and never stops the others from loading.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

from nexora.skills.loader import load_skill_dir, read_install_record
from nexora.skills.skill import SKILL_FILE, Skill, SkillListing, SkillProblem, SkillSource

log = logging.getLogger(__name__)

BUILTIN_DIR = Path(__file__).parent / "builtin"
AGENT_SKILLS_DIR = "skills"  # inside an agent's workspace

_Stamp = tuple[tuple[str, int, int], ...]


def _stamp(path: Path) -> _Stamp:
    """Every file's name, change time and size: any edit, addition or removal changes it.
    Skills are a handful of small files, so this is a few `stat` calls per skill."""
    entries: list[tuple[str, int, int]] = []
    for directory, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            full = os.path.join(directory, name)
            try:
                info = os.lstat(full)
            except OSError:
                continue
            entries.append((os.path.relpath(full, path), info.st_mtime_ns, info.st_size))
    return tuple(entries)


class SkillCatalog:
    """One per process; listing re-reads only skills whose files changed since last time."""

    def __init__(self, org_root: Path, builtin_dir: Path = BUILTIN_DIR) -> None:
        self.org_root = org_root
        self.builtin_dir = builtin_dir
        self._cache: dict[tuple[Path, SkillSource], tuple[_Stamp, Skill | SkillProblem]] = {}
        self._lock = threading.Lock()

    def org_dir(self, org_id: str) -> Path:
        return self.org_root / org_id

    def builtin(self) -> SkillListing:
        return self._read_root(self.builtin_dir, SkillSource.BUILTIN)

    def for_org(self, org_id: str) -> SkillListing:
        """Built-in and org skills, as every agent of the org may see them."""
        return _merge(self.builtin(), self._read_root(self.org_dir(org_id), SkillSource.ORG))

    def for_agent(self, org_id: str, workspace: Path, allowed: Sequence[str] = ()) -> SkillListing:
        """What one agent sees: the org's skills and its own, limited to `allowed` when the
        agent's configuration names any."""
        own = self._read_root(workspace / AGENT_SKILLS_DIR, SkillSource.AGENT)
        merged = _merge(self.for_org(org_id), own)
        if not allowed:
            return merged
        available = merged.by_name()
        missing = [
            SkillProblem(
                name,
                SkillSource.AGENT,
                workspace / AGENT_SKILLS_DIR / name,
                "the agent lists this skill, but no such skill is available",
            )
            for name in allowed
            if name not in available
        ]
        wanted = set(allowed)
        return SkillListing(
            [s for s in merged.skills if s.name in wanted], merged.problems + missing
        )

    def _read_root(self, root: Path, source: SkillSource) -> SkillListing:
        skills: list[Skill] = []
        problems: list[SkillProblem] = []
        for folder in _skill_folders(root):
            loaded = self._read_one(folder, source)
            if isinstance(loaded, Skill):
                skills.append(loaded)
            else:
                problems.append(loaded)
        return SkillListing(skills, problems)

    def _read_one(self, folder: Path, source: SkillSource) -> Skill | SkillProblem:
        stamp = _stamp(folder)
        key = (folder, source)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        loaded = load_skill_dir(folder, source, scan=_needs_scan(folder, source))
        with self._lock:
            self._cache[key] = (stamp, loaded)
        return loaded


def _needs_scan(folder: Path, source: SkillSource) -> bool:
    """Built-in skills are vetted by the test suite and installed ones at install; anything
    else (an agent's own skills, a folder dropped into the org dir by hand) is scanned here."""
    if source is SkillSource.BUILTIN:
        return False
    return source is SkillSource.AGENT or read_install_record(folder) is None


def _skill_folders(root: Path) -> list[Path]:
    try:
        entries = sorted(os.scandir(root), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return []
    except OSError as exc:
        log.warning("cannot list skills in %s: %s", root, exc)
        return []
    return [
        Path(e.path)
        for e in entries
        if not e.name.startswith(".")
        and e.is_dir(follow_symlinks=False)
        and os.path.isfile(os.path.join(e.path, SKILL_FILE))
    ]


def _merge(*listings: SkillListing) -> SkillListing:
    by_name: dict[str, Skill] = {}
    problems: list[SkillProblem] = []
    for listing in listings:
        for skill in listing.skills:
            by_name[skill.name] = skill
        problems.extend(listing.problems)
    return SkillListing(sorted(by_name.values(), key=lambda s: s.name), problems)
