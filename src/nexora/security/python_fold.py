"""Constant folding of the string tricks used to hide names from a reader.

`getattr(os, 'sys' + 'tem')`, `''.join(reversed('metsys'))`, `bytes.fromhex('6f73').decode()`,
`base64.b64decode('b3M=')`, `''.join(map(chr, [111, 115]))`: each folds to a plain string
before the call is judged. Only pure, bounded operations are evaluated, on values the code
itself spells out, so folding can never run the code it inspects.
"""

from __future__ import annotations

import ast
import base64
import binascii
import codecs
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeAlias

# Values the folder produces; lists stand for any folded sequence (tuple, list, map()).
Value: TypeAlias = "str | bytes | int | list[Value]"

_MAX_LEN = 100_000  # a folded value larger than this is not a name worth resolving
_MAX_DEPTH = 60


@dataclass(frozen=True, slots=True)
class Folded:
    """A value the code computes without input; `derived` when it took more than a literal."""

    value: Value
    derived: bool


def _size_ok(value: Value) -> bool:
    if isinstance(value, int):
        return abs(value) < 1 << 64
    return len(value) <= _MAX_LEN


_DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "base64.b64decode": base64.b64decode,
    "base64.standard_b64decode": base64.standard_b64decode,
    "base64.urlsafe_b64decode": base64.urlsafe_b64decode,
    "base64.b32decode": base64.b32decode,
    "base64.b16decode": lambda data: base64.b16decode(data, casefold=True),
    "base64.a85decode": base64.a85decode,
    "base64.b85decode": base64.b85decode,
    "base64.decodebytes": base64.decodebytes,
    "binascii.unhexlify": binascii.unhexlify,
    "binascii.a2b_hex": binascii.a2b_hex,
    "binascii.a2b_base64": binascii.a2b_base64,
    "builtins.bytes.fromhex": lambda data: bytes.fromhex(data.decode()),
    "zlib.decompress": lambda data: zlib.decompressobj().decompress(data, _MAX_LEN),
}

_CODECS = {"rot13", "rot_13", "hex", "hex_codec", "base64", "base_64", "base64_codec", "zlib"}

_MAPPABLE = {"builtins.chr", "builtins.ord", "builtins.str"}

_STR_METHODS = {"lower", "upper", "strip", "lstrip", "rstrip", "swapcase", "title", "casefold"}


def _as_bytes(value: Value) -> bytes | None:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return value.encode("ascii")
        except UnicodeEncodeError:
            return None
    return None


class Folder:
    """Folds expressions against `names`: the constants the code assigned so far.

    `qualname` maps a call's function to the dotted name it refers to (`b64decode` imported
    from base64 is `base64.b64decode`); the analysis supplies it so aliases fold too.
    """

    def __init__(
        self,
        names: Mapping[str, Folded],
        qualname: Callable[[ast.expr], str | None],
    ) -> None:
        self._names = names
        self._qualname = qualname
        self._depth = 0

    def fold(self, node: ast.expr, scope: Mapping[str, Folded] | None = None) -> Folded | None:
        if self._depth > _MAX_DEPTH:
            return None
        self._depth += 1
        try:
            result = self._fold(node, scope or {})
        except (ValueError, TypeError, IndexError, KeyError, OverflowError, zlib.error):
            # Bad padding, wrong codec, index out of range: the code would fail too.
            return None
        finally:
            self._depth -= 1
        if result is None or not _size_ok(result.value):
            return None
        return result

    def fold_str(self, node: ast.expr) -> Folded | None:
        folded = self.fold(node)
        if folded is None or not isinstance(folded.value, str):
            return None
        return folded

    def _fold(self, node: ast.expr, scope: Mapping[str, Folded]) -> Folded | None:
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str | bytes) or type(node.value) is int:
                return Folded(node.value, derived=False)
            return None
        if isinstance(node, ast.Name):
            return scope.get(node.id) or self._names.get(node.id)
        if isinstance(node, ast.List | ast.Tuple | ast.Set):
            return self._sequence(node.elts, scope)
        if isinstance(node, ast.BinOp):
            return self._binop(node, scope)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.fold(node.operand, scope)
            if operand is None or not isinstance(operand.value, int):
                return None
            value = -operand.value if isinstance(node.op, ast.USub) else operand.value
            return Folded(value, operand.derived)
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node, scope)
        if isinstance(node, ast.Subscript):
            return self._subscript(node, scope)
        if isinstance(node, ast.Call):
            return self._call(node, scope)
        if isinstance(node, ast.ListComp | ast.GeneratorExp):
            return self._comprehension(node, scope)
        return None

    def _sequence(self, elts: list[ast.expr], scope: Mapping[str, Folded]) -> Folded | None:
        items = [self.fold(e, scope) for e in elts]
        if any(i is None for i in items):
            return None
        folded = [i for i in items if i is not None]
        return Folded([i.value for i in folded], derived=any(i.derived for i in folded))

    def _binop(self, node: ast.BinOp, scope: Mapping[str, Folded]) -> Folded | None:
        left, right = self.fold(node.left, scope), self.fold(node.right, scope)
        if left is None or right is None:
            return None
        a, b = left.value, right.value
        value: Value
        if isinstance(node.op, ast.Add) and type(a) is type(b):
            value = a + b  # type: ignore[operator]
        elif isinstance(node.op, ast.Mult) and isinstance(b, int) and not isinstance(a, list):
            if isinstance(a, int) or len(a) * max(b, 0) <= _MAX_LEN:
                value = a * b
            else:
                return None
        elif isinstance(node.op, ast.Mod) and isinstance(a, str):
            args = tuple(b) if isinstance(b, list) else (b,)
            value = a % args
        elif isinstance(a, int) and isinstance(b, int):
            value = _int_op(node.op, a, b)
        else:
            return None
        return Folded(value, derived=True)

    def _fstring(self, node: ast.JoinedStr, scope: Mapping[str, Folded]) -> Folded | None:
        parts: list[str] = []
        for part in node.values:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                parts.append(part.value)
                continue
            if not isinstance(part, ast.FormattedValue) or part.format_spec is not None:
                return None
            inner = self.fold(part.value, scope)
            if inner is None:
                return None
            parts.append(repr(inner.value) if part.conversion == ord("r") else str(inner.value))
        return Folded("".join(parts), derived=True)

    def _subscript(self, node: ast.Subscript, scope: Mapping[str, Folded]) -> Folded | None:
        base = self.fold(node.value, scope)
        if base is None or isinstance(base.value, int):
            return None
        seq = base.value
        if isinstance(node.slice, ast.Slice):
            ints: list[int | None] = []
            for bound in (node.slice.lower, node.slice.upper, node.slice.step):
                if bound is None:
                    ints.append(None)
                    continue
                folded = self.fold(bound, scope)
                if folded is None or not isinstance(folded.value, int):
                    return None
                ints.append(folded.value)
            return Folded(seq[slice(*ints)], derived=True)
        index = self.fold(node.slice, scope)
        if index is None or not isinstance(index.value, int):
            return None
        item = seq[index.value]
        return Folded(item, derived=True)

    def _comprehension(
        self, node: ast.ListComp | ast.GeneratorExp, scope: Mapping[str, Folded]
    ) -> Folded | None:
        # Only the `[chr(c) for c in (...)]` shape: one loop over a folded sequence, no filter.
        if len(node.generators) != 1:
            return None
        gen = node.generators[0]
        if gen.ifs or gen.is_async or not isinstance(gen.target, ast.Name):
            return None
        source = self.fold(gen.iter, scope)
        if source is None or isinstance(source.value, int):
            return None
        items: list[Value] = []
        for item in source.value:
            inner = {**scope, gen.target.id: Folded(item, derived=True)}
            folded = self.fold(node.elt, inner)
            if folded is None:
                return None
            items.append(folded.value)
        return Folded(items, derived=True)

    def _call(self, node: ast.Call, scope: Mapping[str, Folded]) -> Folded | None:
        if node.keywords:
            return None
        func = node.func
        if isinstance(func, ast.Attribute):
            method = self._method(func, node.args, scope)
            if method is not None:
                return method
        name = self._qualname(func)
        if name is None:
            return None
        if name == "builtins.map" and len(node.args) == 2:
            return self._map(node.args[0], node.args[1], scope)
        args = [self.fold(a, scope) for a in node.args]
        if any(a is None for a in args):
            return None
        values = [a.value for a in args if a is not None]
        value = _builtin_call(name, values)
        return None if value is None else Folded(value, derived=True)

    def _map(self, func: ast.expr, source: ast.expr, scope: Mapping[str, Folded]) -> Folded | None:
        name = self._qualname(func)
        seq = self.fold(source, scope)
        if name not in _MAPPABLE or seq is None or isinstance(seq.value, int):
            return None
        items: list[Value] = []
        for item in seq.value:
            value = _builtin_call(name, [item])
            if value is None:
                return None
            items.append(value)
        return Folded(items, derived=True)

    def _method(
        self, func: ast.Attribute, args: list[ast.expr], scope: Mapping[str, Folded]
    ) -> Folded | None:
        target = self.fold(func.value, scope)
        if target is None:
            return None
        folded_args = [self.fold(a, scope) for a in args]
        if any(a is None for a in folded_args):
            return None
        values = [a.value for a in folded_args if a is not None]
        value = _method_call(target.value, func.attr, values)
        return None if value is None else Folded(value, derived=True)


def _int_op(op: ast.operator, a: int, b: int) -> int:
    if isinstance(op, ast.Add):
        return a + b
    if isinstance(op, ast.Sub):
        return a - b
    if isinstance(op, ast.Mult):
        return a * b
    if isinstance(op, ast.BitXor):
        return a ^ b
    if isinstance(op, ast.BitOr):
        return a | b
    if isinstance(op, ast.BitAnd):
        return a & b
    if isinstance(op, ast.FloorDiv):
        return a // b
    if isinstance(op, ast.Mod):
        return a % b
    raise TypeError("operator not folded")


def _join(sep: str | bytes, items: Value) -> Value | None:
    if isinstance(items, str):
        items = list(items)
    if not isinstance(items, list) or not all(type(i) is type(sep) for i in items):
        return None
    return sep.join(items)  # type: ignore[arg-type]


def _builtin_call(name: str, args: list[Value]) -> Value | None:
    """Pure functions of the standard library, by the dotted name the code calls."""
    if name == "builtins.chr" and len(args) == 1 and isinstance(args[0], int):
        return chr(args[0])
    if name == "builtins.ord" and len(args) == 1 and isinstance(args[0], str):
        return ord(args[0])
    if name in {"builtins.str", "builtins.bytes", "builtins.bytearray"} and len(args) == 1:
        arg = args[0]
        if name == "builtins.str":
            return arg if isinstance(arg, str) else None
        if isinstance(arg, list) and all(isinstance(i, int) for i in arg):
            return bytes(arg)  # type: ignore[arg-type]
        return arg if isinstance(arg, bytes) else None
    if name in {"builtins.list", "builtins.tuple", "builtins.reversed"} and len(args) == 1:
        seq = args[0]
        if isinstance(seq, int):
            return None
        items: list[Value] = list(seq)
        return items[::-1] if name == "builtins.reversed" else items
    if name == "builtins.str.join" and len(args) == 2 and isinstance(args[0], str):
        return _join(args[0], args[1])
    if name == "codecs.decode" and len(args) == 2 and isinstance(args[1], str):
        return _codec(args[0], args[1])
    decoder = _DECODERS.get(name)
    if decoder is not None and len(args) == 1:
        data = _as_bytes(args[0])
        return None if data is None else decoder(data)
    return None


def _codec(data: Value, codec: str) -> Value | None:
    codec = codec.lower().replace("-", "_")
    if codec not in _CODECS:
        return None
    if codec in {"rot13", "rot_13"}:
        return codecs.decode(data, "rot13") if isinstance(data, str) else None
    raw = _as_bytes(data)
    if raw is None:
        return None
    decoded = codecs.decode(raw, codec)
    return decoded if isinstance(decoded, bytes) else None


def _method_call(target: Value, method: str, args: list[Value]) -> Value | None:
    if isinstance(target, str | bytes) and method == "join" and len(args) == 1:
        return _join(target, args[0])
    if isinstance(target, bytes) and method == "decode":
        encoding = args[0] if args and isinstance(args[0], str) else "utf-8"
        return target.decode(encoding)
    if isinstance(target, str) and method == "encode":
        encoding = args[0] if args and isinstance(args[0], str) else "utf-8"
        return target.encode(encoding)
    if isinstance(target, str) and method in _STR_METHODS and not args:
        result: str = getattr(target, method)()
        return result
    if isinstance(target, str) and method == "replace" and len(args) == 2:
        old, new = args
        if isinstance(old, str) and isinstance(new, str):
            return target.replace(old, new)
    if (
        isinstance(target, str)
        and method == "format"
        and all(isinstance(a, str | int) for a in args)
    ):
        return target.format(*args)
    return None
