"""How each kind of call is judged: its arguments read, its findings and signals recorded.

The base of the analyser in `python_ast`: the state both share, and one handler per
`CallKind` except code execution, which needs the analyser itself to read the code it runs.
"""

from __future__ import annotations

import ast
import re
import shlex

from nexora.security.python_facts import CommandUse, PathUse, PythonFacts, Signal
from nexora.security.python_names import Resolver, Scope
from nexora.security.python_paths import is_system_path
from nexora.security.verdict import Danger, Reason, approval, block, note

PLACEHOLDER = "ARGUMENT"
_FILE_URL = re.compile(
    r"^file:(?://(?:localhost)?)?(/.*)$", re.I
)  # stands for an argument only known at run time

_WRITE_MODES = frozenset("wax+")
_MOVES = frozenset({"shutil.move", "os.rename", "os.replace"})  # the source is gone after
_PATH_METHODS = {
    "read_text": False,
    "read_bytes": False,
    "open": False,
    "write_text": True,
    "write_bytes": True,
    "unlink": True,
    "rmdir": True,
    "chmod": True,
}


class CallJudge(ast.NodeVisitor):
    """The analyser's state, and the handlers of calls that need no nested analysis."""

    def __init__(self, scope: Scope, *, depth: int, line: int | None) -> None:
        self.scope = scope
        self.names = Resolver(scope)
        self.facts = PythonFacts()
        self.depth = depth
        self.fixed_line = line  # code run by exec() reports the exec() call's line
        self.loops = 0
        self.endless = 0  # `while True:` loops around the current node
        self.parents: dict[ast.AST, ast.AST] = {}

    def run(self, tree: ast.AST) -> None:
        for parent in ast.walk(tree):
            for child in ast.iter_child_nodes(parent):
                self.parents[child] = parent
        self.visit(tree)

    def line(self, node: ast.AST) -> int:
        if self.fixed_line is not None:
            return self.fixed_line
        line: int = getattr(node, "lineno", 1)
        return line

    def add(self, node: ast.AST, reason: Reason) -> None:
        self.facts.add(self.line(node), reason)

    def _env_dump(self, node: ast.AST) -> None:
        self.facts.signal(Signal.ENV_DUMP, self.line(node))
        message = "reads the whole environment, where credentials live"
        self.add(node, approval("python.env_dump", message))

    # Calls ---------------------------------------------------------------------------------

    def _args(self, node: ast.Call, *names: str) -> list[ast.expr | None]:
        """Positional arguments by position, falling back to the keyword of the same slot."""
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        return [
            node.args[i] if i < len(node.args) else keywords.get(name)
            for i, name in enumerate(names)
        ]

    def _process(self, node: ast.Call, name: str) -> None:
        self.facts.signal(Signal.PROCESS, self.line(node))
        if name == "pty.spawn" or any(
            k.arg in {"stdin", "stdout", "stderr"} and _is_descriptor(k.value)
            for k in node.keywords
        ):
            self.facts.signal(Signal.STREAMS, self.line(node))
        command = self._command_text(node, name)
        if command is None:
            command = self._partial_argv(node)
            if command is not None:
                self.facts.commands.append(CommandUse(self.line(node), command, name, partial=True))
                return
        self.facts.commands.append(CommandUse(self.line(node), command, name))

    def _partial_argv(self, node: ast.Call) -> str | None:
        """`["soffice", "--convert-to", "pdf", path]`: a known program, some arguments unknown."""
        (first,) = self._args(node, "args")
        if not isinstance(first, ast.List | ast.Tuple) or not first.elts:
            return None
        words = [self.names.fold_str(e) for e in first.elts]
        if words[0] is None or any(isinstance(e, ast.Starred) for e in first.elts):
            return None
        return shlex.join(PLACEHOLDER if w is None else str(w.value) for w in words)

    def _command_text(self, node: ast.Call, name: str) -> str | None:
        if name.startswith(("os.exec", "os.spawn", "os.posix_spawn")):
            # os.execv(path, [argv...]) / os.spawnl(mode, path, arg0, ...): argv is the command.
            parts = [self.names.folder.fold(a) for a in node.args]
            words = [p.value for p in parts if p is not None and isinstance(p.value, str | list)]
            argv = next((w for w in words if isinstance(w, list)), None)
            if argv is None and words:
                argv = [w for w in words if isinstance(w, str)]
            return _join_argv(argv)
        (first,) = self._args(node, "args")
        if first is None:
            return None
        folded = self.names.folder.fold(first)
        if folded is None:
            return None
        if isinstance(folded.value, str):
            return folded.value
        return _join_argv(folded.value if isinstance(folded.value, list) else None)

    def _deserialize(self, node: ast.Call, name: str) -> None:
        (data,) = self._args(node, "data")
        if data is not None and self.names.folder.fold(data) is not None:
            message = f"{name}() of data spelled in the code: a hidden payload"
            self.add(node, block("python.hidden_payload", message))
            return
        if name.endswith("loads") or name.startswith("marshal"):
            self.facts.signal(Signal.DYNAMIC_EXEC, self.line(node))
            message = f"{name}() can run arbitrary code hidden in its input"
            self.add(node, approval("python.deserialize", message))
            return
        message = f"{name}() runs code stored in the file it reads; trust the file"
        self.add(node, note("python.deserialize", message, Danger.MEDIUM))

    def _permissions(self, node: ast.Call, name: str) -> None:
        (first,) = self._args(node, "path")
        path = None if first is None else self.names.path(first)
        if path is not None:
            self.facts.paths.append(PathUse(self.line(node), path, True, name))
            if is_system_path(path):
                message = f"{name}() changes permissions on the system path {path}"
                self.add(node, block("python.system_path", message))
                return
        self.add(node, approval("python.permissions", f"{name}() changes file permissions"))

    def _delete(self, node: ast.Call, name: str) -> None:
        (first,) = self._args(node, "path")
        path = None if first is None else self.names.path(first)
        if path is None:
            if name == "shutil.rmtree":
                message = "shutil.rmtree() of a path only known at run time"
                self.add(node, approval("python.delete_unknown", message))
            return
        self.facts.paths.append(PathUse(self.line(node), path, True, name))
        if is_system_path(path):
            message = f"{name}() deletes the system path {path}"
            self.add(node, block("python.system_path", message))

    def _raw_socket(self, node: ast.Call, name: str) -> None:
        self.facts.signal(Signal.RAW_SOCKET, self.line(node))
        message = f"{name}() opens a raw socket"
        self.add(node, note("python.raw_socket", message, Danger.MEDIUM))

    def _fd_redirect(self, node: ast.Call, name: str) -> None:
        self.facts.signal(Signal.FD_REDIRECT, self.line(node))

    def _native(self, node: ast.Call, name: str) -> None:
        message = f"{name}() calls native code, which no guard can see into"
        self.add(node, approval("python.native_code", message))

    def _network(self, node: ast.Call, name: str) -> None:
        self.facts.signal(Signal.NETWORK, self.line(node))
        (url,) = self._args(node, "url")
        folded = None if url is None else self.names.fold_str(url)
        local = None if folded is None else _FILE_URL.match(str(folded.value))
        if local is not None:  # urlopen('file:///etc/shadow') reads a local file
            self.facts.paths.append(PathUse(self.line(node), local.group(1), False, name))

    def _file_open(self, node: ast.Call, name: str) -> None:
        first, mode = self._args(node, "file", "mode")
        path = None if first is None else self.names.path(first)
        if path is None:
            return
        if name == "os.open":
            write = mode is not None and any(
                isinstance(n, ast.Attribute) and n.attr in {"O_WRONLY", "O_RDWR", "O_CREAT"}
                for n in ast.walk(mode)
            )
        else:
            folded = None if mode is None else self.names.fold_str(mode)
            write = folded is not None and bool(_WRITE_MODES & set(str(folded.value)))
        self.facts.paths.append(PathUse(self.line(node), path, write, name))

    def _file_copy(self, node: ast.Call, name: str) -> None:
        source, destination = self._args(node, "src", "dst")
        for expr, write in ((source, name in _MOVES), (destination, True)):
            path = None if expr is None else self.names.path(expr)
            if path is not None:
                self.facts.paths.append(PathUse(self.line(node), path, write, name))

    def _env_read(self, node: ast.Call, name: str) -> None:
        (key,) = self._args(node, "key")
        if self.loops and key is not None and self.names.fold_str(key) is None:
            self._env_dump(node)

    def _signal(self, node: ast.Call, name: str) -> None:
        (pid,) = self._args(node, "pid")
        folded = None if pid is None else self.names.folder.fold(pid)
        if folded is not None and folded.value in {-1, 0, 1}:
            message = f"{name}({folded.value}, ...) signals every process or init"
            self.add(node, block("python.kill_all", message))
            return
        self.add(node, approval("python.kill", f"{name}() stops other processes", Danger.MEDIUM))

    def _fork(self, node: ast.Call, name: str) -> None:
        if self.endless:
            self.add(node, block("python.fork_bomb", f"{name}() in an endless loop: a fork bomb"))

    def _listener(self, node: ast.Call, name: str) -> None:
        message = f"{name}() listens for network connections and serves files or calls"
        self.add(node, approval("python.listener", message))

    def _loader(self, node: ast.Call, name: str) -> None:
        message = f"{name}() loads a module past the import statement; what it runs is hidden"
        self.add(node, approval("python.dynamic_import", message))

    def _introspection(self, node: ast.Call, name: str) -> None:
        message = f"{name}() reads the interpreter's frames, reaching any caller's names"
        self.add(node, approval("python.introspection", message))

    def _path_method(self, node: ast.Call) -> None:
        """`Path('~/.aws/credentials').expanduser().read_text()` and friends."""
        func = node.func
        if not isinstance(func, ast.Attribute) or func.attr not in _PATH_METHODS:
            return
        path = self.names.path(func.value)
        if path is None:
            return
        write = _PATH_METHODS[func.attr]
        if func.attr == "open":
            (mode,) = self._args(node, "mode")
            folded = None if mode is None else self.names.fold_str(mode)
            write = folded is not None and bool(_WRITE_MODES & set(str(folded.value)))
        self.facts.paths.append(PathUse(self.line(node), path, write, f"Path.{func.attr}"))
        if func.attr in {"unlink", "rmdir", "chmod"} and is_system_path(path):
            message = f"Path.{func.attr}() on the system path {path}"
            self.add(node, block("python.system_path", message))


def _is_descriptor(node: ast.expr) -> bool:
    """`s.fileno()`, `s.makefile()` or a bare number: a stream that is not a pipe or file."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr in {"fileno", "makefile"}
    return isinstance(node, ast.Constant) and type(node.value) is int


def _join_argv(argv: object) -> str | None:
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        return None
    return shlex.join(argv)
