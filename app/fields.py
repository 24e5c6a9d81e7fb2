"""Field parsers: raw text (from a URL, a control, a form, the command line) to a value, or a
:class:`FieldError` naming the field and the allowed range. The one set of validators of the
app: the state, the basin lab's requests, the escape experiment and the export dialog use them."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

Parser = Callable[[Any], Any]


class FieldError(ValueError):
    """An invalid value; ``field`` names the control it belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def integer(name: str, lo: int, hi: int, *, field: str | None = None) -> Parser:
    """An integer in [lo, hi] (given as text or a number; "1e3" is 1000)."""

    def parse(raw: Any) -> int:
        try:
            val = float(raw)
        except (TypeError, ValueError):
            raise FieldError(field or name, f"{name} must be an integer in [{lo}, {hi}]") from None
        if not math.isfinite(val) or val != int(val) or not lo <= val <= hi:
            raise FieldError(
                field or name, f"{name} must be an integer in [{lo}, {hi}]; got {str(raw)[:24]}"
            )
        return int(val)

    return parse


def number(name: str, lo: float, hi: float, *, field: str | None = None) -> Parser:
    """A finite number in [lo, hi]."""

    def parse(raw: Any) -> float:
        try:
            val = float(raw)
        except (TypeError, ValueError):
            raise FieldError(
                field or name, f"{name} must be a number in [{lo:g}, {hi:g}]"
            ) from None
        if not math.isfinite(val) or not lo <= val <= hi:
            raise FieldError(
                field or name,
                f"{name} must be a number in [{lo:g}, {hi:g}]; got {str(raw)[:24]}",
            )
        return val

    return parse


def choice(name: str, options: tuple[str, ...], *, field: str | None = None) -> Parser:
    """One of ``options``."""

    def parse(raw: Any) -> str:
        if raw not in options:
            raise FieldError(
                field or name, f"{name} must be one of {', '.join(options)}; got {str(raw)[:24]!r}"
            )
        return str(raw)

    return parse


def listed(name: str, item: Parser, lo: int, hi: int, *, field: str | None = None) -> Parser:
    """``lo`` to ``hi`` comma-separated items, each checked by ``item``."""

    def parse(raw: Any) -> tuple:
        parts = raw if isinstance(raw, list | tuple) else str(raw).replace(";", ",").split(",")
        parts = [p for p in (str(x).strip() for x in parts) if p and p not in "{}"]
        if not lo <= len(parts) <= hi:
            raise FieldError(field or name, f"{name} needs {lo} to {hi} comma-separated values")
        try:
            return tuple(item(p) for p in parts)
        except FieldError as err:
            raise FieldError(field or name, f"{name}: {err}") from None

    return parse


def flag(name: str) -> Parser:
    """A yes/no value: 1/0, true/false, yes/no, on/off."""

    def parse(raw: Any) -> bool:
        text = str(raw).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off", ""):
            return False
        raise FieldError(name, f"{name} must be 1 or 0; got {str(raw)[:24]!r}")

    return parse


def parse_all(
    parsers: dict[str, Parser], raw: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse every field of ``raw`` with its parser: (values, a message per bad field)."""
    values, errors = {}, {}
    for key, val in raw.items():
        try:
            values[key] = parsers[key](val)
        except FieldError as err:
            errors[err.field] = str(err)
    return values, errors
