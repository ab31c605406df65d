"""Scans an Agent Skill folder before it is installed: `scan_skill(path) -> ScanReport`.

Every check reads the files; none runs them. High and critical findings block the install,
medium and low ones warn an admin, info only records.
"""

from __future__ import annotations

from pathlib import Path

from nexora.skills.manifest import SKILL_FILE, SkillManifestError, parse_skill_md
from nexora.skills.scan_files import ScanLimits, TextFile, inventory
from nexora.skills.scan_markdown import scan_markdown
from nexora.skills.scan_report import Finding, ScanReport, ScanVerdict, Severity
from nexora.skills.scan_scripts import scan_python, scan_shell, script_language
from nexora.skills.scan_secrets import scan_secrets
from nexora.skills.scan_unicode import scan_unicode

__all__ = ["Finding", "ScanLimits", "ScanReport", "ScanVerdict", "Severity", "scan_skill"]

_DOCUMENT_SUFFIXES = (".md", ".markdown", ".txt", ".rst")


def scan_skill(path: Path, *, limits: ScanLimits | None = None) -> ScanReport:
    """What is wrong with the skill in folder `path`, worst first."""
    if not path.is_dir():
        message = "not a folder; a skill is a folder with a SKILL.md"
        return ScanReport((Finding(Severity.HIGH, "manifest.missing", path.name, None, message),))
    files = inventory(path, limits or ScanLimits())
    findings = list(files.findings)
    findings.extend(_manifest(path, files.texts))
    for text_file in files.texts:
        findings.extend(_content(text_file))
    findings.sort(key=lambda f: (-f.severity.rank, f.file, f.line or 0, f.rule))
    return ScanReport(tuple(findings))


def _manifest(root: Path, texts: list[TextFile]) -> list[Finding]:
    skill_md = next((t for t in texts if t.relative == SKILL_FILE), None)
    if skill_md is None:
        message = f"no readable {SKILL_FILE} at the top of the folder"
        return [Finding(Severity.HIGH, "manifest.missing", SKILL_FILE, None, message)]
    try:
        manifest, _ = parse_skill_md(skill_md.text)
    except SkillManifestError as error:
        return [
            Finding(Severity.HIGH, "manifest.invalid", SKILL_FILE, 1, p) for p in error.problems
        ]
    findings: list[Finding] = []
    if not manifest.matches_folder(root.name):
        message = f"name {manifest.name!r} differs from the folder name {root.name!r}"
        findings.append(Finding(Severity.LOW, "manifest.name_mismatch", SKILL_FILE, 1, message))
    for warning in manifest.format_warnings:
        findings.append(Finding(Severity.LOW, "manifest.over_limit", SKILL_FILE, 1, warning))
    for key in manifest.extra_fields:
        message = f"front-matter field {key!r} is not part of the Agent Skills format"
        findings.append(Finding(Severity.INFO, "manifest.unknown_field", SKILL_FILE, 1, message))
    return findings


def _content(text_file: TextFile) -> list[Finding]:
    relative, text = text_file.relative, text_file.text
    findings = [*scan_unicode(text, relative), *scan_secrets(text, relative)]
    if relative.lower().endswith(_DOCUMENT_SUFFIXES):
        findings.extend(scan_markdown(text, relative))
    language = script_language(relative, text)
    if language == "python":
        findings.extend(scan_python(text, relative))
    elif language == "shell":
        findings.extend(scan_shell(text, relative))
    return findings
