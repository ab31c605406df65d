"""The tools every Nexora installation has, by the names agents' `tools` lists use."""

from __future__ import annotations

from typing import Any

from nexora.tools.base import ToolSpec
from nexora.tools.builtin import (
    ask_agent,
    edit_file,
    export_trace,
    list_files,
    python,
    read_file,
    schedule_task,
    search_files,
    shell,
    web_fetch,
    web_search,
    write_file,
)

BUILTIN_TOOLS: dict[str, ToolSpec[Any]] = {
    module.SPEC.name: module.SPEC
    for module in (
        read_file,
        write_file,
        list_files,
        search_files,
        edit_file,
        shell,
        python,
        web_fetch,
        web_search,
        export_trace,
        ask_agent,
        schedule_task,
    )
}

__all__ = ["BUILTIN_TOOLS"]
