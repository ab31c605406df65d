"""Scans every skill folder under a directory and counts verdicts and findings per rule.

A skill folder is any folder holding a SKILL.md. Used to check the scanner against real
public skills: a rule that fires on honest skills shows up here before it reaches users.

    git --git-dir=<mirror of anthropics/skills> archive HEAD | tar -x -C /tmp/skills-public
    python bench/skill_scan.py /tmp/skills-public
    python bench/skill_scan.py /tmp/skills-public --details      # every finding, per skill
    python bench/skill_scan.py /tmp/skills-public --min-severity medium
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from nexora.skills.scanner import ScanReport, Severity, scan_skill


def skill_folders(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.rglob("SKILL.md") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("root", type=Path)
    parser.add_argument("--details", action="store_true", help="print each skill's findings")
    parser.add_argument(
        "--min-severity",
        default="low",
        choices=[s.value for s in Severity],
        help="least severity listed per rule and in --details (default: low)",
    )
    args = parser.parse_args()
    floor = Severity(args.min_severity).rank

    folders = skill_folders(args.root)
    verdicts: Counter[str] = Counter()
    rules: Counter[tuple[str, str]] = Counter()
    skills_per_rule: dict[tuple[str, str], set[str]] = {}
    started = time.perf_counter()
    reports: list[tuple[Path, ScanReport]] = []
    for folder in folders:
        report = scan_skill(folder)
        reports.append((folder, report))
        verdicts[report.verdict.value] += 1
        for finding in report.findings:
            if finding.severity.rank < floor:
                continue
            key = (finding.severity.value, finding.rule)
            rules[key] += 1
            skills_per_rule.setdefault(key, set()).add(folder.name)
    elapsed = time.perf_counter() - started

    print(f"{len(folders)} skills under {args.root} scanned in {elapsed:.2f} s")
    print("verdicts: " + ", ".join(f"{v} {verdicts[v]}" for v in ("clean", "warn", "block")))
    print(f"\nfindings per rule (severity >= {args.min_severity}):")
    by_rank = sorted(rules, key=lambda k: (-Severity(k[0]).rank, -rules[k], k[1]))
    for key in by_rank:
        names = ", ".join(sorted(skills_per_rule[key]))
        print(f"  {key[0]:<8} {key[1]:<28} {rules[key]:>4}  in {names}")
    if args.details:
        for folder, report in reports:
            shown = [f for f in report.findings if f.severity.rank >= floor]
            print(f"\n{folder.relative_to(args.root)}: {report.verdict.value}")
            for f in shown:
                where = f"{f.file}:{f.line}" if f.line else f.file
                print(f"  {f.severity.value:<8} {f.rule:<28} {where}  {f.message}")


if __name__ == "__main__":
    main()
