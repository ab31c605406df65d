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

from nexora.security.python_calls import PLACEHOLDER, CallJudge
from nexora.security.python_facts import PythonFacts, Signal
from nexora.security.python_fold import Folded
from nexora.security.python_names import Scope, Target
from nexora.security.python_rules import (
    ESCAPE_ATTRIBUTES,
    HIDDEN_FORBIDDEN,
    MUST_BE_CALLED,
    NATIVE_IMPORTS,
    CallKind,
    canonical,
    classify,
    is_sensitive_module,
)
from nexora.security.verdict import approval, block

__all__ = ["PLACEHOLDER", "PythonFacts", "analyse"]

_MAX_NESTING = 4  # exec("exec('...')"): how deep literal code inside code is followed


def analyse(code: str) -> PythonFacts:
    """The facts of `code`; raises SyntaxError (ValueError for NUL bytes) if it cannot parse."""
    tree = ast.parse(code)
    analyser = _Analyser(Scope(), depth=0, line=None)
    analyser.run(tree)
    return analyser.facts


_TYPE_CHECKS = frozenset({"builtins.isinstance", "builtins.issubclass", "builtins.callable"})
_ENV_SAFE_METHODS = frozenset({"get", "setdefault", "pop", "update", "copy", "__contains__"})


class _Analyser(CallJudge):
    """Follows names through the code and hands each call to its judge."""

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
        test = node.test
        endless = isinstance(test, ast.Constant) and bool(test.value)
        self.endless += endless
        self._loop(node, None)
        self.endless -= endless

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
        if classify(target.name) in MUST_BE_CALLED and self._passed_along(node):
            message = f"passes {target.name} along as a value; what it will run is out of sight"
            self.add(node, approval("python.indirect_call", message))

    def _passed_along(self, node: ast.expr) -> bool:
        """`f(os.system)`, `[os.system]`, `{'r': os.system}`, `target=os.system`, a default."""
        parent = self.parents.get(node)
        if isinstance(parent, ast.Call):
            if node is parent.func:
                return False
            return self.names.qualname(parent.func) not in _TYPE_CHECKS
        return isinstance(
            parent,
            ast.List | ast.Tuple | ast.Set | ast.Dict | ast.keyword | ast.arguments | ast.Return,
        )

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


def _source_text(value: object) -> str | None:
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


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
    CallKind.SIGNAL: _Analyser._signal,
    CallKind.FORK: _Analyser._fork,
    CallKind.LISTENER: _Analyser._listener,
    CallKind.LOADER: _Analyser._loader,
}
