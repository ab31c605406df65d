"""The Python guard as the other guards call it: `check_python` once it is installed.

Looked up at call time so the shell guard and `nexora guard` work in builds without it (the
shell guard then relies on its own backstops for `python -c` programs)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from nexora.security.file_guard import FileGuard
from nexora.security.verdict import GuardResult

PythonChecker = Callable[[str, FileGuard | None], GuardResult]


def python_checker() -> PythonChecker | None:
    try:
        module = importlib.import_module("nexora.security.python_guard")
    except ImportError:
        return None
    checker: PythonChecker = module.check_python
    return checker
