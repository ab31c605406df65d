"""`nexora worker` with a counting tool installed, for crash-recovery tests.

The tool appends one line per execution to the file named by NEXORA_TEST_TOOL_LOG, so a test
can count executions across processes, including ones that were killed.
"""

from __future__ import annotations

import os
from pathlib import Path

from nexora.cli.main import app
from nexora.tools.registry import registry
from tests.support.tools import AddInput, add_tool


def log_call(args: AddInput) -> None:
    with Path(os.environ["NEXORA_TEST_TOOL_LOG"]).open("a") as log:
        log.write(f"{args.a}+{args.b}\n")


if __name__ == "__main__":
    registry.register(add_tool("add", log_call))
    app(["worker"])
