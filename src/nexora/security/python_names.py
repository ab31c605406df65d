"""What a Python expression names: `o.system` after `import os as o` is `os.system`.

The resolver follows imports, assignments and the indirections code uses to hide a name
(`getattr`, `vars(m)[...]`, `m.__dict__[...]`, `globals()[...]`, `sys.modules[...]`,
`__import__`, `importlib.import_module`, `operator.attrgetter`), marking what it reached
that way as `hidden`. Names it cannot compute under a sensitive module are reported as
`Unresolved` so the analysis can treat them as suspicious instead of ignoring them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from nexora.security.python_fold import Folded, Folder
from nexora.security.python_rules import BUILTIN_NAMES, canonical, is_sensitive_module

_GLOBALS = "<globals>"  # what `globals()` / `locals()` return: the module's own names
_HOME = "~"


@dataclass(frozen=True, slots=True)
class Target:
    """A dotted name an expression refers to, and whether it was reached by indirection."""

    name: str
    hidden: bool = False

    def child(self, attr: str, *, hidden: bool = False) -> Target:
        return Target(canonical(f"{self.name}.{attr}"), self.hidden or hidden)


@dataclass(frozen=True, slots=True)
class Unresolved:
    """`getattr(os, name)` with a `name` only known at run time."""

    module: str
    how: str


@dataclass(slots=True)
class Scope:
    """Names bound so far: to modules or functions, to folded constants, to paths."""

    targets: dict[str, Target] = field(default_factory=dict)
    constants: dict[str, Folded] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    bound: set[str] = field(default_factory=set)  # assigned to something unknown

    def bind(self, name: str, value: Target | Folded | str | None) -> None:
        for table in (self.targets, self.constants, self.paths):
            table.pop(name, None)
        self.bound.add(name)
        if isinstance(value, Target):
            self.targets[name] = value
        elif isinstance(value, Folded):
            self.constants[name] = value
        elif isinstance(value, str):
            self.paths[name] = value

    def copy(self) -> Scope:
        return Scope(dict(self.targets), dict(self.constants), dict(self.paths), set(self.bound))


class Resolver:
    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.folder = Folder(scope.constants, self.qualname)
        self.unresolved: list[tuple[ast.AST, Unresolved]] = []

    def qualname(self, node: ast.expr) -> str | None:
        target = self.resolve(node)
        return None if target is None else target.name

    def fold_str(self, node: ast.expr) -> Folded | None:
        return self.folder.fold_str(node)

    def resolve(self, node: ast.expr) -> Target | None:
        if isinstance(node, ast.Name):
            return self._name(node.id)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value)
            return None if base is None else base.child(node.attr)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        return None

    def _name(self, name: str, *, hidden: bool = False) -> Target | None:
        found = self.scope.targets.get(name)
        if found is not None:
            return Target(found.name, found.hidden or hidden)
        if name in self.scope.bound:
            return None
        if name == "__builtins__":
            return Target("builtins", hidden)
        if name in BUILTIN_NAMES:
            return Target(f"builtins.{name}", hidden)
        return None

    def _call(self, node: ast.Call) -> Target | None:
        # operator.attrgetter('system')(os)
        if isinstance(node.func, ast.Call) and node.args:
            getter = self.qualname(node.func.func)
            if getter == "operator.attrgetter" and node.func.args:
                return self._getattr(node.args[0], node.func.args[0], node)
        func = self.qualname(node.func)
        if func == "builtins.getattr" and len(node.args) >= 2:
            return self._getattr(node.args[0], node.args[1], node)
        if func in {"builtins.__import__", "importlib.import_module", "importlib.__import__"}:
            if not node.args:
                return None
            module = self.fold_str(node.args[0])
            if module is None:
                self.unresolved.append(
                    (node, Unresolved(func, "a module name computed at run time"))
                )
                return None
            name = str(module.value)
            top = name.split(".")[0] if func != "importlib.import_module" else name
            return Target(canonical(top), hidden=True)
        if func in {"builtins.globals", "builtins.locals"}:
            return Target(_GLOBALS)
        return None

    def _getattr(self, obj: ast.expr, attr: ast.expr, node: ast.AST) -> Target | None:
        base = self.resolve(obj)
        name = self.fold_str(attr)
        if base is None:
            return None
        if name is None:
            if is_sensitive_module(base.name):
                self.unresolved.append(
                    (node, Unresolved(base.name, "an attribute computed at run time"))
                )
            return None
        return self._member(base, str(name.value))

    def _member(self, base: Target, key: str) -> Target | None:
        if base.name == _GLOBALS:
            return self._name(key, hidden=True)
        if base.name == "sys.modules":
            return Target(canonical(key), hidden=True)
        return base.child(key, hidden=True)

    def _subscript(self, node: ast.Subscript) -> Target | None:
        container = self._namespace(node.value)
        if container is None:
            return None
        key = self.fold_str(node.slice)
        if key is None:
            if is_sensitive_module(container.name):
                self.unresolved.append(
                    (node, Unresolved(container.name, "a key computed at run time"))
                )
            return None
        return self._member(container, str(key.value))

    def _namespace(self, node: ast.expr) -> Target | None:
        """The module whose names a mapping holds: `vars(m)`, `m.__dict__`, `sys.modules`."""
        if isinstance(node, ast.Call) and self.qualname(node.func) == "builtins.vars":
            return self.resolve(node.args[0]) if node.args else Target(_GLOBALS)
        if isinstance(node, ast.Attribute) and node.attr == "__dict__":
            return self.resolve(node.value)
        target = self.resolve(node)
        if target is not None and target.name in {_GLOBALS, "sys.modules", "builtins"}:
            return target
        return None

    def path(self, node: ast.expr) -> str | None:
        """The file path an expression spells, `~` standing for the home directory."""
        if isinstance(node, ast.Name) and node.id in self.scope.paths:
            return self.scope.paths[node.id]
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            left, right = self.path(node.left), self.path(node.right)
            return None if left is None or right is None else _join(left, right)
        if isinstance(node, ast.Call):
            return self._path_call(node)
        if isinstance(node, ast.Subscript | ast.Attribute) and self._is_home_env(node):
            return _HOME
        folded = self.fold_str(node)
        return None if folded is None else str(folded.value)

    def _path_call(self, node: ast.Call) -> str | None:
        func = self.qualname(node.func)
        if func in {"pathlib.Path.home", "os.path.expanduser"} and not node.args:
            return _HOME
        if func in {"pathlib.Path", "pathlib.PurePath", "pathlib.PosixPath", "os.path.join"}:
            parts = [self.path(a) for a in node.args]
            if not parts or any(p is None for p in parts):
                return None
            joined = parts[0] or ""
            for part in parts[1:]:
                joined = _join(joined, part or "")
            return joined
        if func in {
            "os.path.expanduser",
            "os.path.abspath",
            "os.path.realpath",
            "os.path.normpath",
        }:
            return self.path(node.args[0]) if node.args else None
        if func in {"os.getenv", "os.environ.get"} and node.args:
            return _HOME if self._is_home_key(node.args[0]) else None
        if isinstance(node.func, ast.Attribute):
            method = node.func.attr
            if method in {"expanduser", "resolve", "absolute"} and not node.args:
                return self.path(node.func.value)
            if method == "joinpath":
                base = self.path(node.func.value)
                parts = [self.path(a) for a in node.args]
                if base is None or any(p is None for p in parts):
                    return None
                for part in parts:
                    base = _join(base, part or "")
                return base
        return None

    def _is_home_env(self, node: ast.Subscript | ast.Attribute) -> bool:
        if isinstance(node, ast.Subscript) and self.qualname(node.value) == "os.environ":
            return self._is_home_key(node.slice)
        return False

    def _is_home_key(self, node: ast.expr) -> bool:
        key = self.fold_str(node)
        return key is not None and key.value in {"HOME", "USERPROFILE"}


def _join(left: str, right: str) -> str:
    if right.startswith(("/", "~")):
        return right
    return f"{left.rstrip('/')}/{right}" if left else right
