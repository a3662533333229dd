"""Typed params: what a job declares it takes, checked against MLOPS_PARAMS (JSON) before any work."""

import json
import math
import os

from ._contract import PARAMS, fail, save_json

_REQUIRED = object()
_BAD = object()


class Optional:
    """The type `optional(kind)`: a value of `kind`, or null (None)."""

    def __init__(self, kind):
        self.kind = kind

    def __repr__(self):
        return f"optional({_type_name(self.kind)})"


class OneOf:
    """The type `one_of(*values)`: exactly one of the given values (null among them if `None` is)."""

    def __init__(self, values):
        self.values = tuple(values)


def optional(kind):
    """A param that is `kind` or null, e.g. `max_depth=(optional(int), 3)`."""
    return Optional(kind)


def one_of(*values):
    """A param that is one of `values`, e.g. `class_weight=(one_of(None, "balanced"), None)`."""
    if not values:
        raise ValueError("one_of() needs at least one value")
    return OneOf(values)


class Param:
    """One declared param: its type, its default (none: required), and an optional range or check."""

    def __init__(self, kind, default=_REQUIRED, *, min=None, max=None, check=None, expect=None):  # noqa: A002
        _check_kind(kind)
        self.kind = kind
        self.default = default
        self.min = min
        self.max = max
        self.check = check
        self.expect = expect or _describe(kind, min, max)

    def coerce(self, value):
        """The value as the declared type, or raises ValueError (the message is `self.expect`)."""
        coerced = _coerce(self.kind, value)
        if coerced is _BAD:
            raise ValueError(self.expect)
        if coerced is not None and not isinstance(self.kind, OneOf):
            if (self.min is not None and coerced < self.min) or (self.max is not None and coerced > self.max):
                raise ValueError(self.expect)
        if self.check is not None and not self.check(coerced):
            raise ValueError(self.expect)
        return coerced


def param(kind, default=_REQUIRED, *, min=None, max=None, check=None, expect=None):  # noqa: A002
    """Declares a param with a range (`min`/`max`, inclusive) or a `check` function; `expect` describes valid values."""
    return Param(kind, default, min=min, max=max, check=check, expect=expect)


class Params(dict):
    """The job's params: a dict, whose entries are also attributes (`params.learning_rate`)."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"no param {name!r}") from None


def params(**declared):
    """
    The job's params from MLOPS_PARAMS, checked against what is declared; each keyword is a param:

        params = mlops_job.params(learning_rate=float, max_depth=(int, 6), seed=param(int, 0, min=0))

    A bare type is required; `(type, default)` has a default; `param(...)` adds a range or a check.
    Types: int (a whole float such as 6.0 too), float (an int too), bool, str, optional(T), one_of(...).
    An unknown, missing or mistyped param prints one line per problem on stderr and exits with code 2.
    """
    specs = {name: _as_param(name, spec) for name, spec in declared.items()}
    text = os.environ.get(PARAMS, "")
    given = {}
    if text.strip():
        try:
            given = json.loads(text)
        except json.JSONDecodeError as exc:
            fail(f"{PARAMS} is not valid JSON: {exc}")
        if not isinstance(given, dict):
            fail(f"{PARAMS} must be a JSON object of params")
    problems = []
    out = Params()
    for name in given:
        if name not in specs:
            problems.append(f"unknown param '{name}' (known: {', '.join(sorted(specs)) or 'none'})")
    for name, spec in specs.items():
        if name in given:
            try:
                out[name] = spec.coerce(given[name])
            except ValueError:
                problems.append(f"param '{name}' must be {spec.expect}, got {json.dumps(given[name])}")
        elif spec.default is _REQUIRED:
            problems.append(f"param '{name}' is required: {spec.expect}")
        else:
            out[name] = spec.default
    if problems:
        fail("\n".join(problems) if len(problems) == 1 else "\n  ".join(["bad params:", *problems]))
    return out


def log_params(values):
    """Records the params a job ran with as `<output dir>/params.json`; returns the path."""
    return save_json("params.json", dict(values))


def _as_param(name, spec):
    try:
        if isinstance(spec, Param):
            return spec
        if isinstance(spec, tuple):
            if len(spec) != 2:
                raise TypeError("a tuple must be (type, default)")
            return Param(spec[0], spec[1])
        return Param(spec)
    except TypeError as exc:
        raise TypeError(f"param {name!r}: {exc}") from None


def _check_kind(kind):
    if isinstance(kind, Optional):
        return _check_kind(kind.kind)
    if isinstance(kind, OneOf) or kind in (int, float, bool, str):
        return None
    raise TypeError(f"unsupported type {kind!r}: use int, float, bool, str, optional(T) or one_of(...)")


def _coerce(kind, value):
    """The value as `kind`, or _BAD when it is not one."""
    if isinstance(kind, OneOf):
        for allowed in kind.values:
            if value == allowed and type(value) is type(allowed):
                return value
        return _BAD
    if isinstance(kind, Optional):
        return None if value is None else _coerce(kind.kind, value)
    if value is None or (isinstance(value, bool) and kind is not bool):
        return _BAD
    if kind is bool:
        return value if isinstance(value, bool) else _BAD
    if kind is float:
        return float(value) if isinstance(value, (int, float)) and math.isfinite(value) else _BAD
    if kind is int:
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)  # a sweep may hand 6.0 for 6
        return _BAD
    if kind is str:
        return value if isinstance(value, str) else _BAD
    return _BAD


def _type_name(kind):
    return {int: "int", float: "float", bool: "bool", str: "str"}.get(kind, repr(kind))


def _describe(kind, low, high):
    if isinstance(kind, OneOf):
        return " or ".join(json.dumps(v) for v in kind.values)
    if isinstance(kind, Optional):
        return f"{_describe(kind.kind, low, high)} or null"
    noun = {int: "an integer", float: "a number", bool: "true or false", str: "a string"}[kind]
    if low is not None and high is not None:
        return f"{noun} in [{low}, {high}]"
    if low is not None:
        return f"{noun} >= {low}"
    if high is not None:
        return f"{noun} <= {high}"
    return noun
