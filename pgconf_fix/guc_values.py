"""Integer GUC values as the server reads them (guc.c parse_int and convert_to_base_unit).

The syntax changed twice (measured with the real servers of 10, 11 and 12, FACTS.md): "B" is a
memory unit from PostgreSQL 11 on; fractional values ("1.5s", "0.5MB") and the "us" time unit
are accepted from 12 on. Before 12 a value given in a smaller unit than the parameter's own is
divided with truncation, from 12 on it is rounded.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from functools import cache

INT_MAX = 2**31 - 1
INT_MIN = -(2**31)

# Per base unit, the accepted unit names from largest to smallest, with their size in the base unit.
_TIME = [("d", 86400.0), ("h", 3600.0), ("min", 60.0), ("s", 1.0), ("ms", 1 / 1000), ("us", 1 / 1000000)]
_MEMORY = [("TB", 1024.0**4), ("GB", 1024.0**3), ("MB", 1024.0**2), ("kB", 1024.0), ("B", 1.0)]
# Per base unit as pg_settings names it ("8kB" is a block), the size of each unit name in that base.
_UNITS = {
    "s": _TIME,
    "ms": [(name, size * 1000) for name, size in _TIME],
    "min": [(name, size / 60) for name, size in _TIME],
    **{
        base: [(name, size / base_size) for name, size in _MEMORY]
        for base, base_size in (("B", 1.0), ("kB", 1024.0), ("8kB", 8192.0), ("MB", 1024.0**2))
    },
}
NEWEST_SYNTAX = 12  # the parse rules have not changed since PostgreSQL 12
_MAX_UNIT_LEN = 3
_C_SPACE = " \t\n\v\f\r"


@cache
def _strtod_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """strtod's decimal and hexadecimal forms, compiled when a real is first read (a run whose
    values are all integers never reads one; issue 18). glibc strtod also reads C99
    hexadecimal floats ("0x1.8" is 1.5, "0x1.8p1" is 3)."""
    return (
        re.compile(r"[ \t\n\v\f\r]*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"),
        re.compile(
            r"[ \t\n\v\f\r]*(?P<sign>[-+]?)0[xX](?P<mantissa>[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)"
            r"(?:[pP](?P<exponent>[-+]?\d+))?"
        ),
    )

_DBL_MIN = sys.float_info.min


@dataclass(frozen=True, eq=False)
class GucInt:
    """Metadata of an integer parameter: its base unit (None for unitless) and range.

    ``syntax`` is the major whose parse rules apply (see the module docstring); None means the
    newest rules, which accept everything the older ones do.
    """

    unit: str | None
    minimum: int = 0
    maximum: int = INT_MAX
    syntax: int | None = None

    @property
    def fractions(self) -> bool:
        return self.syntax is None or self.syntax >= 12


class GucValueError(ValueError):
    pass


def c_integer(digits: str) -> int:
    """Digits (no sign) as C's ``strtol(..., 0)`` reads them: ``0x``/``0X`` hexadecimal, a
    leading ``0`` octal, else decimal. The caller has matched the digits to their base."""
    if digits[:2].lower() == "0x":
        return int(digits, 16)
    if digits.startswith("0"):
        return int(digits, 8)
    return int(digits)


def _strtol(text: str) -> tuple[int | None, int, bool]:
    """C strtol(text, &end, 0): (value or None, end index, overflowed)."""
    i = 0
    n = len(text)
    while i < n and text[i] in _C_SPACE:
        i += 1
    sign = 1
    if i < n and text[i] in "+-":
        sign = -1 if text[i] == "-" else 1
        i += 1
    base = 10
    if text[i : i + 2].lower() == "0x" and i + 2 < n and text[i + 2] in "0123456789abcdefABCDEF":
        base = 16
        i += 2
    elif text[i : i + 1] == "0":
        base = 8
    digits = {10: "0123456789", 16: "0123456789abcdefABCDEF", 8: "01234567"}[base]
    j = i
    while j < n and text[j] in digits:
        j += 1
    if j == i:
        return None, 0, False  # no conversion: strtol sets end to the start of the text
    if len(text[i:j].lstrip("0")) > 32:
        # Beyond any 64-bit value (and Python's int-conversion limit past 4,300 digits): ERANGE.
        return sign * 2**63, j, True
    value = sign * int(text[i:j], base)
    overflow = not (-(2**63) <= value < 2**63)
    return value, j, overflow


def _strtod(text: str) -> tuple[float, int, bool] | None:
    """C strtod(text, &end) as glibc does it: (value, end index, ERANGE) or None (no conversion).

    ERANGE: the value overflows to infinity, or it is below DBL_MIN (subnormal or
    zero) and not exactly representable -- "1e-310" and "1e400" are errors, "0e-999"
    and "0x1p-1070" are not.
    """
    decimal, hexadecimal = _strtod_patterns()
    hexa = hexadecimal.match(text)
    if hexa:
        mantissa = hexa["mantissa"]
        whole, _, fraction = mantissa.partition(".")
        digits = int(whole + fraction or "0", 16)
        exponent = int(hexa["exponent"] or "0") - 4 * len(fraction)
        sign = -1.0 if hexa["sign"] == "-" else 1.0
        if digits == 0:
            return sign * 0.0, hexa.end(), False
        magnitude = digits.bit_length() + exponent  # the value is below 2**magnitude
        if magnitude > 1025:
            return sign * math.inf, hexa.end(), True
        if magnitude < -1080:
            return sign * 0.0, hexa.end(), True
        # Imported here: hexadecimal reals are rare (decimal and fractions cost ~3 ms to import).
        from fractions import Fraction

        exact = Fraction(digits) * Fraction(2) ** exponent
        try:
            value = float(exact)
        except OverflowError:
            return sign * math.inf, hexa.end(), True
        inexact = Fraction(value) != exact
        return sign * value, hexa.end(), math.isinf(value) or (value < _DBL_MIN and inexact)
    match = decimal.match(text)
    if not match:
        return None
    literal = match.group().strip(_C_SPACE)
    value = float(literal)
    tiny = abs(value) < _DBL_MIN and _inexact(value, literal)
    return value, match.end(), math.isinf(value) or tiny


def _inexact(value: float, literal: str) -> bool:
    """Whether the float ``value`` differs from the decimal ``literal`` it was read from."""
    from decimal import Decimal  # here: only values below DBL_MIN are compared

    return Decimal(value) != Decimal(literal)


def _rint(value: float) -> float:
    """C rint(): to the nearest integer, halves to the even neighbour; infinities stay."""
    return float(round(value)) if math.isfinite(value) else value


def _unit_table(base_unit: str, syntax: int | None = None) -> list[tuple[str, float]]:
    table = _UNITS[base_unit]
    if syntax is not None and syntax < 12:
        table = [entry for entry in table if entry[0] != "us"]
    if syntax is not None and syntax < 11:
        table = [entry for entry in table if entry[0] != "B"]
    return table


def parse_int(value: str, meta: GucInt) -> int:
    """The integer the server stores for ``value``, or GucValueError with the server's reason."""
    # guc.c: strtol(value, &end, 0); when it stops at ".", "e" or "E" (even without
    # having read a digit, as in ".5") or overflows, read the value again with strtod.
    number, end, overflow = _strtol(value)
    if meta.fractions and (overflow or value[end : end + 1] in (".", "e", "E")):
        parsed = _strtod(value)
        if parsed is None:
            raise GucValueError(f'"{value}" is not a number')
        result, end, out_of_range = parsed
        if out_of_range:
            raise GucValueError(f'"{value}" is out of the range of a floating-point number')
    elif number is None:
        raise GucValueError(f'"{value}" is not an integer')
    elif overflow:
        raise GucValueError(f'"{value}" exceeds the integer range')
    else:
        result = float(number)
    rest = value[end:].lstrip(_C_SPACE)
    if rest:
        if meta.unit is None:
            raise GucValueError(f'"{value}": this parameter takes no unit')
        result = _convert_unit(result, rest, meta, value)
    result = _rint(result)  # halves go to the even neighbour, as in C
    if not math.isfinite(result) or result > INT_MAX or result < INT_MIN:
        raise GucValueError(f'"{value}" exceeds the integer range')
    rounded = int(result)
    if not meta.minimum <= rounded <= meta.maximum:
        raise GucValueError(
            f'{rounded}{" " + meta.unit if meta.unit else ""} is outside the valid range '
            f"({meta.minimum} .. {meta.maximum})"
        )
    return rounded


def _convert_unit(number: float, rest: str, meta: GucInt, value: str) -> float:
    base_unit = meta.unit
    assert base_unit is not None
    unit = ""
    i = 0
    while i < len(rest) and rest[i] not in _C_SPACE and len(unit) < _MAX_UNIT_LEN:
        unit += rest[i]
        i += 1
    if rest[i:].strip(_C_SPACE):
        raise GucValueError(_unit_message(value, meta))
    table = _unit_table(base_unit, meta.syntax)
    for index, (name, size) in enumerate(table):
        if name == unit:
            if not meta.fractions:  # before 12: integer arithmetic, a smaller unit divides and truncates
                return float(int(number * size)) if size >= 1 else float(int(number / round(1 / size)))
            converted = number * size
            if index + 1 < len(table):
                smaller = table[index + 1][1]
                converted = _rint(converted / smaller) * smaller
            return converted
    raise GucValueError(_unit_message(value, meta))


def _unit_message(value: str, meta: GucInt) -> str:
    names = ", ".join(f'"{name}"' for name, _ in _unit_table(meta.unit or "", meta.syntax))
    return f'"{value}": valid units for this parameter are {names} (case-sensitive)'
