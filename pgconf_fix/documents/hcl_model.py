"""What a .tf file holds, as both Terraform readers build it: blocks, attributes and
expressions with the exact character offsets of the original (``hcl_reader`` for the plain
shape, python-hcl2's tree in ``hcl`` for the rest)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# Expression kinds a view can resolve without a plan.
NUMBER = "number"
STRING = "string"
NULL = "null"
BOOL = "bool"
REFERENCE = "reference"
OTHER = "other"


# Expression and HclAttribute are built for every attribute of every file: plain slotted
# dataclasses, since a frozen one costs about three times as much to build.
@dataclass(slots=True)
class Expression:
    """A value as written: a literal, a ``var.x`` / ``local.x`` reference, or something else."""

    kind: str
    start: int
    end: int
    value: Any = None  # int/float, str, bool, or ("var", "x") for a reference
    quoted: bool = False
    legacy: bool = False  # wrapped in Terraform 0.11 "${...}"


@dataclass(slots=True)
class HclAttribute:
    name: str
    start: int
    name_end: int
    equals: int  # offset of the "=" itself
    end: int
    value: Expression


@dataclass
class HclBlock:
    type: str
    labels: tuple[str, ...]
    start: int
    open_brace: int
    close_brace: int
    attributes: list[HclAttribute] = field(default_factory=list)
    blocks: list[HclBlock] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.close_brace + 1

    def attribute(self, name: str) -> HclAttribute | None:
        # Terraform rejects a repeated argument; the first is the one a reader sees.
        return next((a for a in self.attributes if a.name == name), None)


@dataclass(frozen=True)
class SyntaxProblem:
    offset: int
    message: str


def hcl_number(written: str) -> int | float:
    """An HCL number literal's value. Terraform's numbers are arbitrary precision; past
    Python's int-conversion limit (4,300 digits) the value is kept as a float (inf)."""
    if "." in written or "e" in written or "E" in written or len(written) > 4000:
        return float(written)
    return int(written)
