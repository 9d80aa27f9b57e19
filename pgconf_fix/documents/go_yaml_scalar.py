"""What compose passes for a plain YAML scalar it reads as a value of a map of strings
(``environment:`` and ``sysctls:`` written as maps): compose-go decodes the file with
go.yaml.in/yaml/v4, which resolves a plain scalar to a bool, an int, a float, a timestamp, null
or a string, and turns a value that is not a string into one with Go's ``fmt.Sprint``
(compose-go ``types/mapping.go``: ``mappingValue`` and ``Mapping.DecodeMapstructure``, read at
``e70e961``). So ``TCP_KEEPIDLE: 7200.0`` reaches the container as ``7200``, ``1_000`` as
``1000``, ``0x3c`` as ``60``, ``1.5e6`` as ``1.5e+06`` and ``yes`` as ``yes``.

The resolver is the one of go.yaml.in/yaml/v4 (``internal/libyaml/resolver.go`` at
v4.0.0-rc.4, the version compose-go e70e961 requires); the numbers are parsed as Go's
``strconv.ParseInt``/``ParseUint``/``ParseFloat`` parse them and written as ``fmt.Sprint``
writes them (``strconv.FormatFloat(f, 'g', -1, 64)``). Both were checked against that decoder
and fmt, built as a throwaway (tests/test_go_yaml_scalar.py).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

# The texts the resolver maps to a value whatever their first character (resolveMap).
_TRUE = ("true", "True", "TRUE")
_FALSE = ("false", "False", "FALSE")
_NULL = ("", "~", "null", "Null", "NULL")
_NAN = (".nan", ".NaN", ".NAN")
_INF = (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")
_MINUS_INF = ("-.inf", "-.Inf", "-.INF")
_MINUS_ZERO = ("-0", "-0.0")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INT64 = 1 << 63
_UINT64 = 1 << 64
# Go's strconv.ParseFloat syntax once underscores are checked and dropped (decimal and
# hexadecimal mantissas, "inf", "infinity" and "nan" in any case).
_GO_FLOAT = re.compile(
    r"[-+]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
    r"|0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)[pP][-+]?[0-9]+|[iI][nN][fF](?:[iI][nN][iI][tT][yY])?"
    r"|[nN][aA][nN])"
)


class NotAString(ValueError):
    """A value fmt.Sprint writes in a way not reproduced here (a timestamp)."""


def compose_value(text: str) -> str | None:
    """What compose passes for the plain scalar ``text`` (a scalar written without quotes or a
    tag) in a map of strings: None for null (an environment variable without a value); else
    fmt.Sprint of the decoded value. Raises NotAString for a timestamp (``2001-12-14``)."""
    if text in _NULL:
        return None
    if text in _TRUE or text in _FALSE:
        return "true" if text in _TRUE else "false"
    if text in _NAN:
        return "NaN"
    if text in _INF or text in _MINUS_INF:
        return "+Inf" if text in _INF else "-Inf"
    if text in _MINUS_ZERO:
        return "-0"
    first = text[0]
    if first == ".":
        number = _parse_float(text)
        return text if number is None else format_float(number)
    if not (first.isascii() and (first.isdigit() or first in "+-")):
        return text  # the resolver's "in map" letters and anything else: a string
    if re.match(r"[0-9]{4}-", text):
        raise NotAString(text)  # a timestamp when it parses as one, else a string: not told apart here
    plain = text.replace("_", "")
    number = _parse_int(plain)
    if number is not None:
        return str(number)
    if _YAML_FLOAT.fullmatch(plain):
        parsed = _parse_float(plain)
        if parsed is not None:
            return format_float(parsed)
    return text


def _parse_int(text: str) -> int | None:
    """Go's strconv.ParseInt(text, 0, 64), else ParseUint(text, 0, 64): a sign (ParseInt only),
    then ``0x``, ``0o``, ``0b`` or a leading ``0`` (octal) for the base, within int64 (or
    uint64); None when neither takes it."""
    match = re.fullmatch(r"([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)", text)
    if match is None:
        return None
    sign, digits = match.groups()
    lower = digits.lower()
    if lower[:2] in ("0x", "0o", "0b"):
        value = int(lower[2:], {"x": 16, "o": 8, "b": 2}[lower[1]])
    else:
        value = int(digits, 8) if digits.startswith("0") and len(digits) > 1 else int(digits)
    signed = -value if sign == "-" else value
    if -_INT64 <= signed < _INT64:
        return signed
    return value if not sign and value < _UINT64 else None


def _parse_float(text: str) -> float | None:
    """Go's strconv.ParseFloat(text, 64); None where it fails (a syntax error, or out of range).
    Underscores may separate digits (``.9_6``), as Go's underscoreOK allows."""
    if "_" in text:
        if not _underscores_ok(text):
            return None
        text = text.replace("_", "")
    if not _GO_FLOAT.fullmatch(text):
        return None
    body = text.lstrip("+-").lower()
    negative = text.startswith("-")
    if body.startswith(("inf", "nan")):
        value = math.nan if body == "nan" else math.inf
    elif body.startswith("0x"):
        value = float.fromhex(body)
    else:
        value = float(Decimal(body))
    if math.isinf(value) and not body.startswith("inf"):
        return None  # out of range: ParseFloat fails
    return -value if negative else value


def _underscores_ok(text: str) -> bool:
    """Whether each underscore of a number stands between two digits, or between a base prefix
    and a digit (Go's strconv underscoreOK)."""
    body = text[1:] if text[:1] in "+-" else text
    hexadecimal = body[:2].lower() == "0x"
    index, last = (2, "digit") if body[:2].lower() in ("0x", "0o", "0b") else (0, "start")
    for char in body[index:]:
        if char.isascii() and (char.isdigit() or hexadecimal and char.lower() in "abcdef"):
            last = "digit"
        elif char == "_":
            if last != "digit":
                return False
            last = "underscore"
        elif last == "underscore":
            return False
        else:
            last = "other"
    return last != "underscore"


def format_float(value: float) -> str:
    """fmt.Sprint of a float64: strconv.FormatFloat(value, 'g', -1, 64), the shortest digits that
    read back as ``value``, in exponent form when the exponent is below -4 or 6 and above (Go's
    %g with the shortest precision), the exponent with at least two digits."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return f"{sign}0"
    digits, exponent = _shortest(abs(value))
    if exponent < -4 or exponent >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    point = exponent + 1  # digits before the decimal point
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def _shortest(value: float) -> tuple[str, int]:
    """The shortest decimal digits that read back as ``value`` (> 0, finite; Python's repr is
    that shortest form, as Go's is) and the decimal exponent of the first one."""
    _, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    return text, len(text) - 1 + int(exponent)


def compose_map_value(text: str, written: str) -> str | None:
    """What compose passes for a value of a map of strings whose scalar reads as ``text`` and
    is written ``written`` in the file: :func:`compose_value` of a plain scalar written as its
    own text (no quotes, tag, anchor or line break); ``text`` itself otherwise (a quoted or
    tagged scalar is the string it holds). Raises NotAString as compose_value does."""
    return compose_value(text) if written == text else text
