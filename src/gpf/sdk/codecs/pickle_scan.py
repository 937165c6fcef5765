"""Bound the work of a pickle before it is unpickled: an opcode walk that builds nothing.

:func:`prescan` parses the stream with :mod:`pickletools` (parse only) and refuses out-of-band-buffer and
extension-registry opcodes, memo indices the stream cannot have produced (the C unpickler sizes its memo
table by the largest index, a one-opcode memory bomb), more opcodes, deeper nesting or bigger containers
than :mod:`gpf.limits` allows, and anything but strings and numbers as dict keys or set members (a deeply
shared tuple used as a key hashes for ever).  Refusals raise :class:`PickleRefused`, which readers turn
into a :class:`~gpf.errors.FormatError` naming their file.
"""

from __future__ import annotations

import pickletools
import reprlib
from typing import Any

from gpf.limits import MAX_PICKLE_DEPTH, MAX_PICKLE_ITEMS, MAX_PICKLE_OPS

__all__ = ["PickleRefused", "prescan", "short_repr"]


class PickleRefused(Exception):
    """Raised by the pickle checks and the restricted unpickler; readers turn it into a FormatError."""


# Opcodes a torch.save pickle never needs and that reach past find_class or allocate
# out of proportion to the stream: out-of-band buffers (protocol 5), the copyreg
# extension registry, and the protocol-0/1 class instantiation opcodes.
_DENIED_OPS = {"NEXT_BUFFER", "READONLY_BUFFER", "BYTEARRAY8", "EXT1", "EXT2", "EXT4", "INST", "OBJ"}
_MEMO_PUT = {"PUT", "BINPUT", "LONG_BINPUT"}
_MEMO_GET = {"GET", "BINGET", "LONG_BINGET"}
_MARK_CONTAINERS = {"TUPLE": "tuple", "LIST": "list", "DICT": "dict", "FROZENSET": "frozenset"}
_EMPTY = {"EMPTY_LIST": "list", "EMPTY_DICT": "dict", "EMPTY_TUPLE": "tuple", "EMPTY_SET": "set"}
_TUPLE_N = {"TUPLE1": 1, "TUPLE2": 2, "TUPLE3": 3}


class _Sym:
    """What the pre-scan knows of a value on the pickle stack: its kind, nesting depth and item count."""

    __slots__ = ("kind", "depth", "items")

    def __init__(self, kind: str, depth: int = 0, items: int = 0) -> None:
        self.kind = kind  # "atom" (str/bytes/int/float/bool/None), a container kind, "object", "callable", "mark"
        self.depth = depth
        self.items = items


_ATOM = _Sym("atom")
_MARK = _Sym("mark")
_CALLABLE = _Sym("callable")


def prescan(data: bytes) -> None:
    """Walk the opcodes (parsing only, nothing is built) before unpickling, bounding the work.

    A symbolic stack follows what each opcode would build, so that before anything is unpickled:
    the stream has at most :data:`~gpf.limits.MAX_PICKLE_OPS` opcodes; no container nests deeper than
    :data:`~gpf.limits.MAX_PICKLE_DEPTH` or holds more than :data:`~gpf.limits.MAX_PICKLE_ITEMS`
    items; dict keys and set members are atoms (strings, bytes, numbers, None) — a tuple key is how a
    150-byte pickle makes hashing run for ever (a deeply *shared* tuple has exponentially many paths);
    memo indices are ones the stream could have made (the C unpickler sizes its memo table by the
    largest index: ``LONG_BINPUT 0xFFFFFFF0`` would allocate tens of GB); denied opcodes are refused.
    """
    stack: list[_Sym] = []
    marks: list[int] = []
    memo: dict[int, _Sym] = {}
    count = 0

    def pop() -> _Sym:
        if not stack or stack[-1] is _MARK:
            raise PickleRefused(f"corrupt pickle stream: stack underflow at pickle byte {pos}")
        return stack.pop()

    def pop_mark() -> list[_Sym]:
        if not marks:
            raise PickleRefused(f"corrupt pickle stream: no mark at pickle byte {pos}")
        at = marks.pop()
        items = stack[at + 1:]
        del stack[at:]
        return items

    def build(kind: str, items: list[_Sym], keys: list[_Sym] | tuple[()] = ()) -> _Sym:
        for k in keys:
            if k.kind != "atom":
                raise PickleRefused(f"refusing pickle: a {k.kind} as a dict key or set member at pickle byte {pos} "
                               "(only strings and numbers may be)")
        return grow(_Sym(kind, 1), items)

    def grow(target: _Sym, items: list[_Sym]) -> _Sym:
        target.items += len(items)
        if target.items > MAX_PICKLE_ITEMS:
            raise PickleRefused(f"refusing pickle: a container of over {MAX_PICKLE_ITEMS} items at pickle byte {pos}")
        depth = max((i.depth for i in items), default=0) + 1
        if depth > target.depth:
            target.depth = depth
            if depth > MAX_PICKLE_DEPTH:
                raise PickleRefused(f"refusing pickle: containers nested deeper than {MAX_PICKLE_DEPTH} at pickle "
                               f"byte {pos}")
        return target

    pos: int | None = 0
    try:
        for op, arg, pos in pickletools.genops(data):
            count += 1
            if count > MAX_PICKLE_OPS:
                raise PickleRefused(f"refusing pickle: more than {MAX_PICKLE_OPS} opcodes")
            name = op.name
            if name in _DENIED_OPS:
                raise PickleRefused(f"refusing pickle opcode {name} at pickle byte {pos}")
            if name in ("PROTO", "FRAME", "STOP"):
                continue
            if name == "MARK":
                marks.append(len(stack))
                stack.append(_MARK)
            elif name in _MEMO_PUT or name == "MEMOIZE":
                index = len(memo) if name == "MEMOIZE" else arg
                if not (isinstance(index, int) and 0 <= index <= count) or not stack or stack[-1] is _MARK:
                    raise PickleRefused(f"corrupt pickle stream: memo index {short_repr(index)} at pickle byte {pos}")
                memo[index] = stack[-1]
            elif name in _MEMO_GET:
                if arg not in memo:
                    raise PickleRefused(f"corrupt pickle stream: memo index {short_repr(arg)} at pickle byte {pos}")
                stack.append(memo[arg])
            elif name in _EMPTY:
                stack.append(_Sym(_EMPTY[name], 1))
            elif name in _MARK_CONTAINERS:
                items = pop_mark()
                kind = _MARK_CONTAINERS[name]
                keys = items[0::2] if kind == "dict" else items if kind == "frozenset" else []
                stack.append(build(kind, items, keys))
            elif name in _TUPLE_N:
                items = [pop() for _ in range(_TUPLE_N[name])][::-1]
                stack.append(build("tuple", items))
            elif name == "APPEND":
                item = pop()
                grow(stack[-1] if stack else pop(), [item])
            elif name == "APPENDS":
                items = pop_mark()
                grow(stack[-1] if stack else pop(), items)
            elif name == "SETITEM":
                value, key = pop(), pop()
                build("dict", [], [key])
                grow(stack[-1] if stack else pop(), [key, value])
            elif name == "SETITEMS":
                items = pop_mark()
                build("dict", [], items[0::2])
                grow(stack[-1] if stack else pop(), items)
            elif name == "ADDITEMS":
                items = pop_mark()
                build("set", [], items)
                grow(stack[-1] if stack else pop(), items)
            elif name in ("GLOBAL", "STACK_GLOBAL"):
                if name == "STACK_GLOBAL":
                    pop(), pop()
                stack.append(_CALLABLE)
            elif name in ("REDUCE", "NEWOBJ"):
                args, _func = pop(), pop()
                stack.append(grow(_Sym("object"), [args]))
            elif name == "NEWOBJ_EX":
                kwargs, args, _cls = pop(), pop(), pop()
                stack.append(grow(_Sym("object"), [args, kwargs]))
            elif name == "BUILD":
                state = pop()
                grow(stack[-1] if stack else pop(), [state])
            elif name == "BINPERSID":
                pop()
                stack.append(_Sym("object"))
            elif name == "PERSID":
                stack.append(_Sym("object"))
            elif name == "POP":
                if stack and stack[-1] is _MARK:
                    stack.pop()
                    marks.pop()
                else:
                    pop()
            elif name == "POP_MARK":
                pop_mark()
            elif name == "DUP":
                stack.append(stack[-1] if stack else pop())
            elif not op.stack_before and len(op.stack_after) == 1:
                stack.append(_ATOM)  # ints, floats, strings, bytes, None, booleans
            else:
                raise PickleRefused(f"refusing pickle opcode {name} at pickle byte {pos}")
    except PickleRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - ValueError/UnicodeDecodeError... from the parser
        raise PickleRefused(f"corrupt pickle stream: {short_repr(str(exc))}") from None


def short_repr(obj: Any) -> str:
    """A short repr that costs little whatever ``obj`` is (a deeply shared tuple has an exponential repr)."""
    s = _REPR.repr(obj)
    return s if len(s) <= 80 else s[:77] + "..."


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxtuple, _REPR.maxlist, _REPR.maxdict, _REPR.maxstring, _REPR.maxother = 3, 4, 4, 4, 60, 60

