"""Reads Python source on its syntax tree and reports what it would do.

Shared by the Python tool's guard and the skill scanner: both need the same answer to
"what does this code call, with which arguments, reached how". The analysis reports
self-contained findings (an obfuscated call is bad wherever it is), the shell commands and
file paths it could compute (judged by the shell and file guards), and signals whose
combination matters (network access is fine; network access plus a dump of the environment
is exfiltration).
"""

from __future__ import annotations

import ast
import shlex

from nexora.security.python_facts import CommandUse, PathUse, PythonFacts, Signal
from nexora.security.python_fold import Folded
from nexora.security.python_names import Resolver, Scope, Target
from nexora.security.python_paths import is_system_path
from nexora.security.python_rules import (
    ESCAPE_ATTRIBUTES,
    HIDDEN_FORBIDDEN,
    NATIVE_IMPORTS,
    CallKind,
    canonical,
    classify,
    is_sensitive_module,
)
from nexora.security.verdict import Danger, Reason, approval, block, note

PLACEHOLDER = "ARGUMENT"  # stands for an argument only known at run time
_MAX_NESTING = 4  # exec("exec('...')"): how deep literal code inside code is followed


def analyse(code: str) -> PythonFacts:
    """The facts of `code`; raises SyntaxError (ValueError for NUL bytes) if it cannot parse."""
    tree = ast.parse(code)
    analyser = _Analyser(Scope(), depth=0, line=None)
    analyser.run(tree)
    return analyser.facts


_WRITE_MODES = frozenset("wax+")
_ENV_SAFE_METHODS = frozenset({"get", "setdefault", "pop", "update", "copy", "__contains__"})
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


class _Analyser(ast.NodeVisitor):
    def __init__(self, scope: Scope, *, depth: int, line: int | None) -> None:
        self.scope = scope
        self.names = Resolver(scope)
        self.facts = PythonFacts()
        self.depth = depth
        self.fixed_line = line  # code run by exec() reports the exec() call's line
        self.loops = 0
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

    # Binding names -----------------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.scope.bind(alias.asname, Target(canonical(alias.name)))
            else:
                head = alias.name.split(".")[0]
                self.scope.bind(head, Target(canonical(head)))
            self._check_import(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        for alias in node.names:
            if alias.name == "*":
                if is_sensitive_module(module):
                    self.add(
                        node, approval("python.star_import", f"imports every name of {module}")
                    )
                continue
            local = alias.asname or alias.name
            known = Target(canonical(f"{module}.{alias.name}")) if node.level == 0 else None
            self.scope.bind(local, known)
            self._check_import(node, module)

    def _check_import(self, node: ast.AST, module: str) -> None:
        if module.split(".")[0] in NATIVE_IMPORTS:
            message = f"imports {module}: native calls bypass every guard"
            self.add(node, approval("python.native_code", message))

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        value = self._value_of(node.value)
        for target in node.targets:
            self._bind_target(target, value)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit(node.value)
            self._bind_target(node.target, self._value_of(node.value))

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self.generic_visit(node)
        if isinstance(node.target, ast.Name):
            combined = ast.BinOp(ast.Name(node.target.id, ast.Load()), node.op, node.value)
            self.scope.bind(node.target.id, self.names.folder.fold(combined))

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.scope.bind(node.target.id, self._value_of(node.value))

    def _value_of(self, node: ast.expr) -> Target | Folded | str | None:
        if self._environ_copy(node):
            return Target("os.environ")  # a copy holds the same secrets as the original
        target = self.names.resolve(node)
        if target is not None:
            return target
        folded = self.names.folder.fold(node)
        if folded is not None:
            return folded
        path = self.names.path(node)
        return path

    def _bind_target(self, target: ast.expr, value: Target | Folded | str | None) -> None:
        if isinstance(target, ast.Name):
            self.scope.bind(target.id, value)
            return
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                self.scope.bind(node.id, None)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for arg in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]:
            self.scope.bind(arg.arg, None)
        for extra in (node.args.vararg, node.args.kwarg):
            if extra is not None:
                self.scope.bind(extra.arg, None)
        self.generic_visit(node)
        self.scope.bind(node.name, None)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for arg in node.args.args:
            self.scope.bind(arg.arg, None)
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.generic_visit(node)
        self.scope.bind(node.name, None)

    def visit_withitem(self, node: ast.withitem) -> None:
        self.visit(node.context_expr)
        if node.optional_vars is not None:
            self._bind_target(node.optional_vars, None)

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.scope.bind(node.name, None)
        self.generic_visit(node)

    # Loops: a key read inside one may walk the whole environment -------------------------

    def _loop(self, node: ast.AST, target: ast.expr | None) -> None:
        if target is not None:
            self._bind_target(target, None)
        self.loops += 1
        self.generic_visit(node)
        self.loops -= 1

    def visit_For(self, node: ast.For | ast.AsyncFor) -> None:
        self._loop(node, node.target)

    visit_AsyncFor = visit_For

    def visit_While(self, node: ast.While) -> None:
        self._loop(node, None)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self._bind_target(node.target, None)
        self.loops += 1
        self.generic_visit(node)
        self.loops -= 1

    # References ----------------------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._check_reference(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr in ESCAPE_ATTRIBUTES:
            message = f"reaches {node.attr}, a way out of any restriction on what code may call"
            self.add(node, block("python.sandbox_escape", message))
        self._check_reference(node)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self._check_reference(node)
        self.generic_visit(node)

    def _check_reference(self, node: ast.expr) -> None:
        target = self.names.resolve(node)
        self._report_unresolved()
        if target is None:
            return
        if target.hidden and classify(target.name) in HIDDEN_FORBIDDEN:
            message = f"reaches {target.name} through a computed name, hiding what it calls"
            self.add(node, block("python.obfuscated_call", message))
        if target.name == "os.environ":
            self._check_environ_use(node)

    def _report_unresolved(self) -> None:
        for node, unresolved in self.names.unresolved:
            rule = (
                "python.dynamic_import"
                if "module" in unresolved.how
                else "python.dynamic_attribute"
            )
            message = (
                f"uses {unresolved.how} on {unresolved.module}; what it calls cannot be checked"
            )
            self.add(node, approval(rule, message))
        self.names.unresolved.clear()

    def _environ_copy(self, node: ast.expr) -> bool:
        """`os.environ.copy()`, `dict(os.environ)`, `{**os.environ, ...}`."""
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "copy":
                return self.names.qualname(func.value) == "os.environ"
            if self.names.qualname(func) == "builtins.dict" and len(node.args) == 1:
                return self.names.qualname(node.args[0]) == "os.environ"
        if isinstance(node, ast.DictComp) and len(node.generators) == 1:
            # {k: v for k, v in os.environ.items() if k != "X"}: a filtered copy
            source = node.generators[0].iter
            return (
                isinstance(source, ast.Call)
                and isinstance(source.func, ast.Attribute)
                and source.func.attr == "items"
                and self.names.qualname(source.func.value) == "os.environ"
            )
        if isinstance(node, ast.Dict):
            return any(
                k is None and self.names.qualname(v) == "os.environ"
                for k, v in zip(node.keys, node.values, strict=True)
            )
        return False

    def _check_environ_use(self, node: ast.expr) -> None:
        parent = self.parents.get(node)
        if isinstance(parent, ast.Attribute) and parent.attr == "items":
            comprehension = self._enclosing_dict_comprehension(parent)
            if comprehension is not None:
                self._check_environ_use(comprehension)
                return
        if isinstance(parent, ast.Attribute) and parent.attr in _ENV_SAFE_METHODS:
            if parent.attr == "copy" and isinstance(call := self.parents.get(parent), ast.Call):
                self._check_environ_use(call)  # the copy goes wherever the original would
            return
        if (isinstance(parent, ast.Call) and self._environ_copy(parent)) or (
            isinstance(parent, ast.Dict) and self._environ_copy(parent)
        ):
            self._check_environ_use(parent)
            return
        if isinstance(parent, ast.Subscript) and parent.value is node:
            if self.loops and self.names.fold_str(parent.slice) is None:
                self._env_dump(node)
            return
        if isinstance(parent, ast.Compare | ast.Assign | ast.AnnAssign | ast.NamedExpr):
            return
        if isinstance(parent, ast.keyword) and parent.arg == "env":
            return  # handed to a child process, the ordinary reason to copy it
        self._env_dump(node)

    def _enclosing_dict_comprehension(self, items: ast.Attribute) -> ast.DictComp | None:
        call = self.parents.get(items)
        generator = self.parents.get(call) if call is not None else None
        comprehension = self.parents.get(generator) if generator is not None else None
        if isinstance(comprehension, ast.DictComp) and self._environ_copy(comprehension):
            return comprehension
        return None

    def _env_dump(self, node: ast.AST) -> None:
        self.facts.signal(Signal.ENV_DUMP, self.line(node))
        message = "reads the whole environment, where credentials live"
        self.add(node, approval("python.env_dump", message))

    # Calls ---------------------------------------------------------------------------------

    def visit_Call(self, node: ast.Call) -> None:
        self.generic_visit(node)
        self._check_reference(node)
        target = self.names.resolve(node.func)
        self._report_unresolved()
        if target is None:
            self._path_method(node)
            return
        kind = classify(target.name)
        if kind is not None:
            _HANDLERS[kind](self, node, target.name)

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

    def _code_exec(self, node: ast.Call, name: str) -> None:
        if name in {"types.FunctionType", "types.CodeType"}:
            message = "builds a code object by hand, running code no reader can see"
            self.add(node, block("python.code_object", message))
            return
        (source,) = self._args(node, "source")
        folded = None if source is None else self.names.folder.fold(source)
        text = None if folded is None else _source_text(folded.value)
        if folded is None or text is None or name.startswith(("runpy", "code.")):
            self.facts.signal(Signal.DYNAMIC_EXEC, self.line(node))
            message = f"{name.removeprefix('builtins.')}() runs code only known at run time"
            self.add(node, approval("python.dynamic_exec", message))
            return
        if folded.derived:
            message = f"{name.removeprefix('builtins.')}() runs code it decodes or assembles first"
            self.add(node, block("python.obfuscated_exec", message))
        self._nested(node, text)

    def _nested(self, node: ast.Call, code: str) -> None:
        if self.depth >= _MAX_NESTING:
            self.add(node, block("python.obfuscated_exec", "nests code inside code too deep"))
            return
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError):
            return  # eval() of text that is not Python fails at run time
        inner = _Analyser(self.scope.copy(), depth=self.depth + 1, line=self.line(node))
        inner.run(tree)
        self.facts.absorb(inner.facts)

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
        for expr, write in ((source, name == "shutil.move"), (destination, True)):
            path = None if expr is None else self.names.path(expr)
            if path is not None:
                self.facts.paths.append(PathUse(self.line(node), path, write, name))

    def _env_read(self, node: ast.Call, name: str) -> None:
        (key,) = self._args(node, "key")
        if self.loops and key is not None and self.names.fold_str(key) is None:
            self._env_dump(node)

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


def _source_text(value: object) -> str | None:
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


def _join_argv(argv: object) -> str | None:
    if not isinstance(argv, list) or not argv or not all(isinstance(a, str) for a in argv):
        return None
    return shlex.join(argv)


_HANDLERS = {
    CallKind.PROCESS: _Analyser._process,
    CallKind.CODE_EXEC: _Analyser._code_exec,
    CallKind.DESERIALIZE: _Analyser._deserialize,
    CallKind.DYNAMIC_IMPORT: lambda self, node, name: None,  # judged where the module is used
    CallKind.PERMISSIONS: _Analyser._permissions,
    CallKind.DELETE: _Analyser._delete,
    CallKind.RAW_SOCKET: _Analyser._raw_socket,
    CallKind.FD_REDIRECT: _Analyser._fd_redirect,
    CallKind.NATIVE: _Analyser._native,
    CallKind.NETWORK: _Analyser._network,
    CallKind.FILE_OPEN: _Analyser._file_open,
    CallKind.FILE_COPY: _Analyser._file_copy,
    CallKind.ENV_READ: _Analyser._env_read,
    CallKind.INTROSPECTION: _Analyser._introspection,
}
