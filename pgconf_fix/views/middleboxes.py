"""Boxes on a database connection's path, declared in Terraform: one view per NLB listener,
NAT gateway, RDS Proxy, Azure load balancer rule, Azure NAT gateway or Cloud NAT.

What a box is (resource type, idle-timeout argument, unit, default, accepted range,
whether TCP keepalives reset its timer) is data in its rule's TOML ``[check]`` (the
rules whose check is ``middlebox_idle_timeout``, PGF303-PGF308), with the provider and
cloud documentation it comes from in the rule's references. The same data feeds the
rule (values the cloud refuses, Azure's silent drop) and the idle budget (each box's
idle timer is a budget source, ``pgconf_fix.budget``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pgconf_fix.budget import IdleTimer, budget_source
from pgconf_fix.documents.hcl import HclBlock, HclDocument
from pgconf_fix.source import SourceFile
from pgconf_fix.views.base import Assignment
from pgconf_fix.views.terraform_module import (
    LOCAL_SOURCE_PREFIXES,
    SET,
    UNSET,
    Resolution,
    TerraformModule,
    TerraformResource,
    instances,
    is_configuration,
    module_instances,
    read_modules,
    whole_number,
)
from pgconf_fix.workspace import parent_of

if TYPE_CHECKING:
    from pgconf_fix.budget import Files
    from pgconf_fix.workspace import Workspace

UNIT_SECONDS = {"s": 1, "min": 60}


@dataclass(frozen=True)
class BoxKind:
    """One kind of box, as its rule's ``[check]`` table describes it.

    ``default``, ``minimum`` and ``maximum`` are in ``unit`` ("s" or "min"); ``attribute``
    is empty for a box whose idle timeout cannot be configured (the AWS NAT gateway).
    ``protocols``: the values of the ``protocol`` argument on which the timer can be set;
    ``fixed_protocols``: those on which it is fixed at ``default``; a box with neither
    list has no protocol condition. ``reset_attributes``: the names (per provider major)
    of the argument that makes the box send a TCP reset when it drops an idle flow.
    """

    code: str
    resource: str
    label: str
    cloud: str
    attribute: str
    unit: str
    default: int
    minimum: int | None
    maximum: int | None
    keepalives_reset: bool
    protocols: tuple[str, ...] = ()
    fixed_protocols: tuple[str, ...] = ()
    reset_attributes: tuple[str, ...] = ()

    @classmethod
    def from_check(cls, code: str, check: dict[str, Any]) -> BoxKind:
        return cls(
            code=code,
            resource=str(check["resource"]),
            label=str(check["label"]),
            cloud=str(check.get("cloud", "the cloud")),
            attribute=str(check.get("attribute", "")),
            unit=str(check.get("unit", "s")),
            default=int(check["default"]),
            minimum=check.get("minimum"),
            maximum=check.get("maximum"),
            keepalives_reset=bool(check.get("keepalives_reset", True)),
            protocols=tuple(str(p).upper() for p in check.get("protocols", ())),
            fixed_protocols=tuple(str(p).upper() for p in check.get("fixed_protocols", ())),
            reset_attributes=tuple(check.get("reset_attributes", ())),
        )

    def seconds(self, value: int) -> int:
        return value * UNIT_SECONDS[self.unit]


@lru_cache(maxsize=1)
def box_kinds() -> dict[str, BoxKind]:
    """Every built-in box kind by resource type: the rules whose ``[check]`` names a Terraform
    ``resource`` (rules/PGF303.toml-PGF308.toml; their check is checks/pgf303_middlebox_idle_timeout)."""
    from pgconf_fix.catalog import load_catalog

    kinds = {}
    for rule in load_catalog().values():
        if rule.kind == "python" and rule.layer == "network" and "resource" in rule.check:
            kind = BoxKind.from_check(rule.code, rule.check)
            kinds[kind.resource] = kind
    return kinds


# What a box's timer comes to.
TIMER = "timer"  # the box forgets idle connections after seconds()
NOT_ON_PATH = "not-on-path"  # e.g. an HTTP or UDP listener: no database connection crosses it
UNKNOWN = "unknown"  # not known without a plan


class Middlebox(TerraformResource):
    """One box resource of a Terraform module."""

    def __init__(self, module: TerraformModule, source: SourceFile, block: HclBlock, kind: BoxKind) -> None:
        super().__init__(module, source, block)
        self.kind = kind
        self.judges_missing = False

    def protocol(self) -> str | None:
        """The ``protocol`` argument, upper-cased; None when absent or not known without a plan."""
        resolution = self.resolve("protocol")
        if resolution.status == SET and isinstance(resolution.value, str):
            return resolution.value.upper()
        return None

    def settable(self) -> bool:
        """Whether the idle timeout argument is accepted here (an NLB's TLS listener refuses it)."""
        if not self.kind.attribute:
            return False
        if not self.kind.protocols:
            return True
        protocol = self.protocol()
        return protocol is None or protocol in self.kind.protocols

    def state(self) -> tuple[str, int | None, Resolution | None]:
        """(TIMER, seconds, the value's resolution), (NOT_ON_PATH, None, None) or (UNKNOWN, None, ...)."""
        kind = self.kind
        if kind.protocols or kind.fixed_protocols:
            protocol = self.protocol()
            written = bool(kind.attribute) and self.block.attribute(kind.attribute) is not None
            if protocol is None and not written:
                absent = self.resolve("protocol").status == UNSET
                if absent and kind.resource == "aws_lb_listener":
                    return NOT_ON_PATH, None, None  # HTTP, the provider's default: an ALB listener
                return UNKNOWN, None, None
            if protocol is not None and protocol in kind.fixed_protocols:
                return TIMER, kind.seconds(kind.default), None
            if protocol is not None and protocol not in kind.protocols:
                return NOT_ON_PATH, None, None
        if not kind.attribute:
            return TIMER, kind.seconds(kind.default), None
        resolution = self.resolve(kind.attribute)
        if resolution.status == UNSET:
            return TIMER, kind.seconds(kind.default), resolution
        if resolution.status == SET:
            number = whole_number(resolution.value)
            if number is None:
                return UNKNOWN, None, resolution
            return TIMER, kind.seconds(number), resolution
        return UNKNOWN, None, resolution

    def line(self) -> int:
        return self.source.position(self.block.start)[0]

    def where(self) -> str:
        return f"{self.source.display}:{self.line()}"

    def timer(self, condition: str = "") -> IdleTimer | None:
        """The box's idle timer for the budget; None when it has none on a database's path, or
        one the cloud refuses. ``condition``: why the box may not exist (IdleTimer.condition)."""
        state, seconds, resolution = self.state()
        if state != TIMER or seconds is None:
            return None
        kind = self.kind
        written = seconds // UNIT_SECONDS[kind.unit]
        if (kind.minimum is not None and written < kind.minimum) or (kind.maximum is not None and written > kind.maximum):
            return None  # a value the cloud refuses (PGF303-PGF308): the box keeps whatever it had
        detail = ""
        if resolution is not None and resolution.via and resolution.written is not None:
            written = resolution.written
            line, _ = written.source.position(written.attribute.start)
            detail = f"{' -> '.join(resolution.via)} = {written.text()} in {written.source.display}:{line}"
        box = f"{self.kind.label} {self.address}"
        return IdleTimer(seconds, box, self.where(), self.kind.keepalives_reset, detail, condition)

    def effective(self, key: str) -> Assignment | None:
        return None  # no data rule judges a box: its own check reads get()


def middleboxes(module: TerraformModule, documents: Iterable[HclDocument]) -> Iterator[Middlebox]:
    """The box resources of the given documents of a module."""
    kinds = box_kinds()
    for document in documents:
        for block in document.blocks:
            if block.type == "resource" and len(block.labels) == 2 and block.labels[0] in kinds:
                yield Middlebox(module, document.source, block, kinds[block.labels[0]])


@budget_source("terraform-middleboxes")
def terraform_timers(workspace: Workspace, files: Files) -> Iterator[IdleTimer]:
    """The idle timers of the boxes in the discovered Terraform files, each module read as
    Terraform instantiates it: a directory a module block calls, once per call with that
    call's arguments (``terraform_module.module_instances``), as the network view judges it.
    A box whose ``count`` or ``for_each`` makes no instance whatever terraform is given
    (``terraform_module.Instances.absent``) has no timer; one whose instances are not known
    without a plan, or are none only with a root variable's value as written in the tree, or
    whose module call's are so, keeps its timer, and the budget's message says it exists only
    if created, and why."""
    from pgconf_fix.source import InputError

    by_directory: dict[Path, list[SourceFile]] = {}
    for path, display in files.get("network", []):
        if not is_configuration(path.name):
            continue
        try:
            source = workspace.load(path, display)
        except InputError:
            continue  # the network layer reports it
        if "resource" not in source.text and "module" not in source.text:
            continue
        by_directory.setdefault(parent_of(path), []).append(source)
    kinds = box_kinds()
    quoted = [f'"{resource}"' for resource in kinds]  # made once, not once a file (issue 18)
    groups = {
        directory: given for directory, given in by_directory.items()
        if any(name in source.text for source in given for name in quoted)
        or any(_calls_a_local_module(source.text) for source in given)
    }  # fmt: skip
    if not groups:
        return
    documents, calls = read_modules(workspace, groups)
    given_paths = {source.path for given in groups.values() for source in given}
    for directory, module in module_instances(groups, documents, calls):
        # A root's given files (its siblings are read for its variables); a directory only a
        # call reached (not among the discovered files), all of it.
        mine = [d for d in module.documents if directory not in groups or d.source.path in given_paths]
        for box in middleboxes(module, mine):
            counted = instances(module, box.source, box.block)
            if counted.absent:
                continue  # Terraform creates no instance of it, whatever it is given: it is on no path
            timer = box.timer(counted.unknown() or module.condition)
            if timer is not None:
                yield timer


def _calls_a_local_module(text: str) -> bool:
    """Whether a text may hold a ``module`` block with a local ``source`` (a cheap look)."""
    return "module" in text and any(prefix in text for prefix in LOCAL_SOURCE_PREFIXES)


__all__ = ["BoxKind", "Middlebox", "box_kinds", "middleboxes"]
