"""Reads one skill folder into a `Skill`, or says why it cannot be used."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nexora.errors import NexoraError
from nexora.skills.manifest import parse_skill_md
from nexora.skills.skill import INSTALL_RECORD, SKILL_FILE, Skill, SkillProblem, SkillSource

if TYPE_CHECKING:
    from nexora.skills.scanner import ScanReport

log = logging.getLogger(__name__)

# The spec recommends a body under 5,000 tokens; a SKILL.md this large is not a skill.
MAX_SKILL_FILE_BYTES = 256 * 1024


def findings_json(report: ScanReport) -> list[dict[str, Any]]:
    """The scanner's findings as JSON, the one shape the API, approvals and CLI show."""
    findings: list[dict[str, Any]] = report.as_json()["findings"]
    return findings


def load_skill_dir(path: Path, source: SkillSource, *, scan: bool) -> Skill | SkillProblem:
    """`scan` runs the scanner now (for folders nobody vetted at install); a blocked skill
    becomes a problem, so the model never sees it."""
    try:
        return _load(path, source, scan=scan)
    except _Unusable as exc:
        log.warning("skill %s (%s) is not usable: %s", path, source, exc)
        return SkillProblem(path.name, source, path, str(exc))


class _Unusable(Exception):
    pass


def _load(path: Path, source: SkillSource, *, scan: bool) -> Skill:
    skill_file = path / SKILL_FILE
    try:
        if skill_file.stat().st_size > MAX_SKILL_FILE_BYTES:
            raise _Unusable(f"{SKILL_FILE} is larger than {MAX_SKILL_FILE_BYTES // 1024} KiB")
        text = skill_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise _Unusable(f"cannot read {SKILL_FILE}: {exc}") from exc
    try:
        manifest, _body = parse_skill_md(text)
    except (ValueError, NexoraError) as exc:
        raise _Unusable(f"invalid {SKILL_FILE}: {exc}") from exc
    if not manifest.matches_folder(path.name):
        # The spec ties a skill's name to its folder; other agents rely on it too.
        raise _Unusable(f"name {manifest.name!r} does not match its folder {path.name!r}")
    verdict, findings = _vetting(path, scan=scan)
    return Skill(
        name=manifest.name,
        description=manifest.description,
        source=source,
        path=path,
        manifest=manifest,
        scan_verdict=verdict,
        findings=tuple(findings),
    )


def _vetting(path: Path, *, scan: bool) -> tuple[str | None, list[dict[str, Any]]]:
    if scan:
        # The scanner (and the guards it uses) loads with the first folder to vet.
        from nexora.skills.scanner import scan_skill

        report = scan_skill(path)
        findings = findings_json(report)
        if report.verdict == "block":
            worst = "; ".join(f"{f['rule']}: {f['message']}" for f in findings[:3])
            raise _Unusable(f"blocked by the skill scanner ({worst})")
        return str(report.verdict), findings
    record = read_install_record(path)
    if record is None:
        return None, []
    scan_json = record.get("scan") or {}
    return scan_json.get("verdict"), list(scan_json.get("findings") or [])


def read_install_record(path: Path) -> dict[str, Any] | None:
    """What the store wrote when it put an installed skill on disk, or None."""
    try:
        data = json.loads((path / INSTALL_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
