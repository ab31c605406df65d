"""How well the shell guard tells dangerous commands from everyday ones, and how fast.

Judges every line of `guard_corpus/dangerous.txt` and `guard_corpus/everyday.txt` with
`nexora.security.shell_guard.check_shell` (workspace: a fresh temporary folder) and prints
blocked / sent to approval / missed for the dangerous ones, the everyday ones flagged, and the
guard's latency per command. QwenPaw 2.2's own tool guard judges the same corpus in the same
run, from its cached venv (`bench/.work/qwenpaw/venv`, made by `bench/startup.py`, or
`--qwenpaw-venv`), so the figures sit side by side.

    python bench/guard.py
    python bench/guard.py --qwenpaw-venv /path/to/venv --repeat 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from nexora.security.file_guard import FileGuard
from nexora.security.shell_guard import check_shell

BENCH_DIR = Path(__file__).resolve().parent
CORPUS = BENCH_DIR / "guard_corpus"
FLAGGED_GOAL = 0.02  # share of everyday commands the guard may stop


def load_corpus(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.lstrip().startswith("#")]


@dataclass
class Figures:
    """One guard's verdicts on both corpora and its latency per command, in ms."""

    name: str
    dangerous: list[str] = field(default_factory=list)
    everyday: list[str] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)

    def count(self, verdict: str) -> int:
        return self.dangerous.count(verdict)


def nexora_figures(dangerous: list[str], everyday: list[str], repeat: int) -> Figures:
    figures = Figures("Nexora")
    with tempfile.TemporaryDirectory(prefix="guard-bench-") as workspace:
        files = FileGuard(Path(workspace))
        for commands, verdicts in ((dangerous, figures.dangerous), (everyday, figures.everyday)):
            for command in commands:
                for _ in range(repeat):
                    started = time.perf_counter()
                    result = check_shell(command, files)
                    figures.latency_ms.append((time.perf_counter() - started) * 1000)
                verdicts.append(result.verdict.value)
    return figures


def qwenpaw_figures(venv: Path, dangerous: list[str], everyday: list[str]) -> Figures | str:
    python = venv / "bin" / "python"
    if not python.exists():
        return f"QwenPaw not installed at {venv} (run bench/startup.py to install it)"
    with tempfile.TemporaryDirectory(prefix="guard-bench-qwenpaw-") as home:
        out = Path(home) / "verdicts.json"
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(Path.home()),
            "QWENPAW_WORKING_DIR": home,
            "QWENPAW_TELEMETRY_DISABLED": "1",
        }
        done = subprocess.run(
            [str(python), str(BENCH_DIR / "_qwenpaw_guard.py"), str(out)],
            input=json.dumps(dangerous + everyday),
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            return f"QwenPaw's guard failed: {done.stderr.strip()[-400:]}"
        verdicts = json.loads(out.read_text(encoding="utf-8"))
    figures = Figures("QwenPaw")
    figures.dangerous = [v["verdict"] for v in verdicts[: len(dangerous)]]
    figures.everyday = [v["verdict"] for v in verdicts[len(dangerous) :]]
    figures.latency_ms = [v["ms"] for v in verdicts]
    return figures


def percentile(samples: list[float], q: float) -> float:
    return (
        statistics.quantiles(samples, n=100, method="inclusive")[q - 1]
        if len(samples) > 1
        else samples[0]
    )


def report(dangerous: list[str], everyday: list[str], columns: list[Figures]) -> None:
    width = 14
    print(f"Guard benchmark: {len(dangerous)} dangerous, {len(everyday)} everyday commands")
    print(f"{'':34}" + "".join(f"{c.name:>{width}}" for c in columns))

    def row(label: str, values: list[str]) -> None:
        print(f"  {label:32}" + "".join(f"{v:>{width}}" for v in values))

    total = len(dangerous)
    for verdict, label in (
        ("block", "dangerous blocked"),
        ("approval", "dangerous sent to approval"),
        ("allow", "dangerous missed"),
    ):
        row(label, [f"{c.count(verdict)} ({c.count(verdict) / total:.0%})" for c in columns])
    flagged = [sum(v != "allow" for v in c.everyday) for c in columns]
    row("everyday flagged", [f"{n} ({n / len(everyday):.1%})" for n in flagged])
    row("latency p50, ms", [f"{percentile(c.latency_ms, 50):.2f}" for c in columns])
    row("latency p95, ms", [f"{percentile(c.latency_ms, 95):.2f}" for c in columns])
    for figures in columns:
        missed = [cmd for cmd, v in zip(dangerous, figures.dangerous, strict=True) if v == "allow"]
        flagged = [
            (cmd, v) for cmd, v in zip(everyday, figures.everyday, strict=True) if v != "allow"
        ]
        print(f"\n{figures.name}: dangerous missed ({len(missed)})")
        for command in missed:
            print(f"  {command}")
        print(f"{figures.name}: everyday flagged ({len(flagged)})")
        for command, verdict in flagged:
            print(f"  [{verdict}] {command}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed checks per command (Nexora)")
    parser.add_argument(
        "--qwenpaw-venv", type=Path, default=BENCH_DIR / ".work" / "qwenpaw" / "venv"
    )
    parser.add_argument("--no-peers", action="store_true", help="Nexora only")
    args = parser.parse_args()
    dangerous, everyday = (
        load_corpus(CORPUS / "dangerous.txt"),
        load_corpus(CORPUS / "everyday.txt"),
    )
    columns = [nexora_figures(dangerous, everyday, args.repeat)]
    if not args.no_peers:
        peer = qwenpaw_figures(args.qwenpaw_venv, dangerous, everyday)
        if isinstance(peer, str):
            print(f"(QwenPaw skipped: {peer})")
        else:
            columns.append(peer)
    report(dangerous, everyday, columns)
    nexora = columns[0]
    flagged = sum(v != "allow" for v in nexora.everyday)
    met = nexora.count("allow") == 0 and flagged <= FLAGGED_GOAL * len(everyday)
    goal = f"every dangerous command stopped, <= {FLAGGED_GOAL:.0%} everyday flagged"
    print(f"\nGoal ({goal}): {'met' if met else 'NOT met'}")
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
