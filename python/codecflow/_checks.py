"""The Python side of argument checking: types only, one helper per check.

Note [One owner per check]
The C++ core checks values: sizes, ranges, options, stream indices, time
bounds against the stream. It raises typed errors that the binding turns
into the classes of codecflow.errors. Python checks what only Python can
see: that an argument has a type the core can take (an int that is not a
bool, a str, a number of seconds, a mapping), and the values of what Python
itself computes (the samplers, a choice among names that picks a Python
code path). Every helper here raises a codecflow.errors class with the
builtin base the public API promises for its case: InvalidArgumentError (a
``ValueError``) where the API says ValueError, InvalidTypeError (a
``TypeError``) where it says TypeError.
"""

from __future__ import annotations

import math
import operator
from typing import Any, Optional, Sequence, Type

from codecflow._errors import CodecflowError, InvalidArgumentError, InvalidTypeError

__all__ = [
    "check_choice",
    "check_int",
    "check_optional_int",
    "check_seconds",
    "check_str",
    "type_name",
]


def type_name(value: Any) -> str:
    """The name of ``value``'s type, for messages."""
    return type(value).__name__


def check_int(
    name: str,
    value: Any,
    *,
    minimum: Optional[int] = None,
    error: Type[CodecflowError] = InvalidArgumentError,
) -> int:
    """``value`` as an int: an int, or anything with ``__index__`` (NumPy
    and torch integers), never a bool. With ``minimum`` (for values Python
    owns, such as a sampler's counts, or ``minimum=1`` for a count that
    must be positive), also at least that.

    Raises:
        InvalidArgumentError (or ``error``): for another type.
        InvalidArgumentError: for a value below ``minimum``.
    """
    if isinstance(value, bool):
        raise error(f"{name} must be an int, got {value!r}")
    try:
        result = operator.index(value)
    except TypeError:
        raise error(f"{name} must be an int, got {type_name(value)} {value!r}") from None
    if minimum is not None and result < minimum:
        raise InvalidArgumentError(f"{name} ({result}) must be >= {minimum}")
    return result


def check_optional_int(
    name: str, value: Any, *, error: Type[CodecflowError] = InvalidArgumentError
) -> Optional[int]:
    """None, or ``value`` as an int (see :func:`check_int`)."""
    return None if value is None else check_int(name, value, error=error)


def check_seconds(
    name: str,
    value: Any,
    *,
    positive: bool = False,
    allow_inf: bool = False,
    allow_nan: bool = False,
    error: Type[CodecflowError] = InvalidArgumentError,
) -> float:
    """``value`` as a float number of seconds: an int or a float (not a
    bool), or a NumPy/torch scalar or one-element array. Not NaN unless
    ``allow_nan`` (where the core checks it); finite unless ``allow_inf``;
    > 0 when ``positive``.

    Raises:
        InvalidArgumentError (or ``error``): for another type.
        InvalidArgumentError: for NaN, or a value outside what is asked.
    """
    if isinstance(value, bool):
        raise error(f"{name} must be a number of seconds, got {value!r}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    else:
        shape = getattr(value, "shape", None)
        if shape is None or math.prod(shape) != 1 or not hasattr(value, "reshape"):
            raise error(f"{name} must be a number of seconds, got {type_name(value)} {value!r}")
        try:
            seconds = float(value.reshape(-1)[0])
        except (TypeError, ValueError):
            raise error(f"{name} must be a number of seconds, got {value!r}") from None
    if math.isnan(seconds) and not allow_nan:
        raise InvalidArgumentError(f"{name} cannot be NaN")
    if math.isinf(seconds) and not allow_inf:
        raise InvalidArgumentError(f"{name} must be finite, got {seconds}")
    if positive and seconds <= 0:
        raise InvalidArgumentError(f"{name} ({seconds}) must be > 0")
    return seconds


def check_str(
    name: str,
    value: Any,
    *,
    allow_none: bool = False,
    error: Type[CodecflowError] = InvalidArgumentError,
) -> Optional[str]:
    """``value`` as a str (or None where ``allow_none``).

    Raises:
        InvalidArgumentError (or ``error``): for another type.
    """
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        allowed = "a str or None" if allow_none else "a str"
        raise error(f"{name} must be {allowed}, got {value!r}")
    return value


def check_choice(name: str, value: Any, allowed: Sequence[Any]) -> Any:
    """``value`` when it is one of ``allowed`` (a name that picks what
    Python does, such as ``dimension_order``).

    Raises:
        InvalidArgumentError: for anything else, naming the allowed values.
    """
    if isinstance(value, str) or value is None:
        if value in allowed:
            return value
    raise InvalidArgumentError(f"invalid {name} {value!r}; allowed: {tuple(allowed)}")
