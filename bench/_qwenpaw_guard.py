"""Runs inside QwenPaw's own venv: judges commands with QwenPaw 2.2's tool guard engine.

Reads a JSON list of commands on stdin and writes to the file named by its argument a list
of {"verdict", "ms", "rules"}.
The verdict follows QwenPaw's `GuardedFunctionTool.check_permissions` at its default level
(AUTO): no finding runs the command, a finding of an auto-deny rule refuses it, any other
finding asks the user (our "approval").
"""

from __future__ import annotations

import json
import sys
import time

from qwenpaw.security.tool_guard.engine import ToolGuardEngine

TOOL = "execute_shell_command"


def main() -> None:
    commands = json.load(sys.stdin)
    engine = ToolGuardEngine(enabled=True)
    guarded = engine.is_guarded(TOOL)
    out = []
    for command in commands:
        started = time.perf_counter()
        result = engine.guard(TOOL, {"command": command}, only_always_run=not guarded)
        elapsed = (time.perf_counter() - started) * 1000
        if result is None or not result.findings:
            verdict = "allow"
        elif engine.should_auto_deny_result(result):
            verdict = "block"
        else:
            verdict = "approval"
        rules = sorted({f.rule_id for f in result.findings}) if result else []
        out.append({"verdict": verdict, "ms": elapsed, "rules": rules})
    with open(sys.argv[1], "w", encoding="utf-8") as handle:
        json.dump(out, handle)


if __name__ == "__main__":
    main()
