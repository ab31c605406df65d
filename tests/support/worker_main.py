"""`nexora worker` with a counting tool installed, for crash-recovery tests.

The tool appends one line per execution to the file named by NEXORA_TEST_TOOL_LOG, so a test
can count executions across processes, including ones that were killed.
"""

from __future__ import annotations

import os
from pathlib import Path

from nexora.cli.main import app
from nexora.tools.registry import registry


def add(a: int, b: int) -> int:
    """Add two integers."""
    with Path(os.environ["NEXORA_TEST_TOOL_LOG"]).open("a") as log:
        log.write(f"{a}+{b}\n")
    return a + b


if __name__ == "__main__":
    registry.register(add)
    app(["worker"])
