"""A Terraform module as Terraform reads it without a plan: all ``.tf`` (and ``.tf.json``)
files of one directory, their variables, locals and auto-loaded tfvars, and the blocks
judged as views (:class:`TerraformResource`: load balancers, boxes on the path).

``var.x`` is read from ``terraform.tfvars`` / ``*.auto.tfvars`` when set there, else from
the ``variable`` block's default; ``local.x`` from ``locals``, wherever in the directory.

A directory another module calls (``module "lb" { source = "./modules/lb"  idle_timeout = 3600 }``)
is read once per call (:class:`ModuleCall`): ``var.x`` is the call's argument ``x``, read in the
calling module, else the default; the called directory's own tfvars are not read (Terraform
1.11.4, ``terraform console``: ``module.lb.idle`` is the argument, a second call without it gets
the default, a ``terraform.tfvars`` beside the called module changes neither). Local paths only
(``./`` or ``../``, as Terraform requires of them); registry and git sources are not read.
The network views and the idle budget's boxes both walk the modules with
:func:`module_instances`.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from pgconf_fix.documents.hcl import BOOL, NULL, NUMBER, REFERENCE, STRING
from pgconf_fix.documents.hcl import Expression, HclAttribute, HclBlock, HclDocument
from pgconf_fix.documents.hcl import insert_attribute, replace_expression
from pgconf_fix.findings import UNSAFE, Edit, Fix, Location, Problem
from pgconf_fix.setting import Refusal, Setting, State, Trail
from pgconf_fix.source import InputError, SourceFile
from pgconf_fix.views.base import Assignment, SettingsView
from pgconf_fix.views.terraform_values import evaluate_inputs, frozen, instance_count, not_nullable, refusal, variable_value
from pgconf_fix.workspace import Workspace, is_dir

# What a resolution comes to (pgconf_fix.setting.State): null or absent is MISSING.
SET = State.SET
UNSET = State.MISSING
UNKNOWN = State.UNKNOWN
# A reference to a variable or a local, in an expression or inside a "${...}" template.
_REFERENCE = re.compile(r"(?<![\w.])(var|local)\.([A-Za-z_][A-Za-z0-9_-]*)")


@dataclass(frozen=True)
class Written:
    """A value as it is written somewhere in the module: where, and the expression."""

    source: SourceFile
    attribute: HclAttribute

    @property
    def value(self) -> Expression:
        return self.attribute.value

    def text(self) -> str:
        return self.source.text[self.value.start : self.value.end]

    def where(self, beside: Path | None = None) -> str:
        """``file:line``: the file's name, or its path as shown when it is not in the directory
        ``beside`` (a value a module call gives, read from the caller's directory)."""
        line, _ = self.source.position(self.attribute.start)
        shown = self.source.display if beside is not None and self.source.path.parent != beside else os.path.basename(self.source.display)
        return f"{shown}:{line}"


@dataclass(frozen=True)
class Resolution:
    """What a setting comes to: a value, unset (null or absent), or unknown without a plan."""

    status: State
    value: int | float | str | bool | None = None
    written: Written | None = None  # the literal (or null) the value comes from: where a fix edits
    via: tuple[str, ...] = ()  # the references followed: ("var.idle_timeout",)
    reason: str = ""
    # The module each label of ``via`` is read in (empty: all in the module that resolved it).
    owners: tuple[TerraformModule, ...] = ()


def is_configuration(name: str) -> bool:
    """A file Terraform reads as configuration: ``*.tf`` or ``*.tf.json``."""
    return name.endswith((".tf", ".tf.json"))


def is_auto_tfvars(name: str) -> bool:
    """A variable-values file Terraform loads without ``-var-file``: ``terraform.tfvars``,
    ``*.auto.tfvars`` and their ``.json`` forms
    (https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence)."""
    return name in ("terraform.tfvars", "terraform.tfvars.json") or name.endswith((".auto.tfvars", ".auto.tfvars.json"))


def tfvars_order(name: str) -> tuple[int, int, str]:
    """Terraform's loading order: terraform.tfvars, terraform.tfvars.json, then the
    *.auto.tfvars(.json) files by name; a later file's value wins."""
    if name == "terraform.tfvars":
        return (0, 0, name)
    if name == "terraform.tfvars.json":
        return (0, 1, name)
    return (1, 0, name)


LOCAL_SOURCE_PREFIXES = ("./", "../")  # a module source Terraform reads as a local path


@dataclass(frozen=True)
class ModuleCall:
    """A ``module "name" { source = "./dir" ... }`` block of ``module`` (in ``source``): its
    arguments are the called directory's variables. ``calls``: how many module blocks the
    build holds that call that directory (a variable's default is shared by all of them)."""

    module: TerraformModule
    source: SourceFile
    block: HclBlock
    calls: int = 1
    # Why the instance may not exist ("module.edge's count is not known without a plan"), this
    # call's or an enclosing one's; "" when it exists.
    condition: str = ""

    @property
    def address(self) -> str:
        return f"module.{self.block.labels[0]}" if self.block.labels else "module"


@dataclass(frozen=True)
class Instances:
    """How many instances a ``resource``, ``data`` or ``module`` block makes: ``count`` None when
    that is not known without a plan (or not modelled: ``terraform_values``), else the number
    ``terraform plan`` makes when given no ``-var``, ``-var-file`` or ``TF_VAR_``; ``meta`` the
    argument that decides it ("count", "for_each"; "" when the block has neither, and makes
    one); ``inputs`` the root module's variables that number was read from (those a plan's
    flags and environment may set otherwise); ``refused`` why terraform refuses the value, for
    a message ("" when it does not, or that is not known); ``where`` the argument."""

    count: int | None
    meta: str = ""
    inputs: frozenset[str] = frozenset()
    refused: str = ""
    where: HclAttribute | None = None

    @property
    def absent(self) -> bool:
        """Whether no instance exists whatever terraform is given: a count of 0 (or an empty
        for_each) that follows from the configuration alone."""
        return self.count == 0 and not self.inputs

    def unknown(self, whose: str = "its") -> str:
        """Why the block may not exist, for a message: "its count is not known without a plan",
        or "its count makes no instance with var.x as written here, which ..."; "" when it is
        known to exist (when given no flags)."""
        if self.count is None:
            if self.refused:
                return f"{whose} {self.meta} is a value terraform refuses"
            return f"{whose} {self.meta} is not known without a plan"
        if self.count == 0 and self.inputs:
            names = ", ".join(sorted(self.inputs))
            return f"{whose} {self.meta} makes no instance with {names} as written here, which -var, -var-file or TF_VAR_ may set otherwise"
        return ""


_ONE = Instances(1)


def instances(module: TerraformModule, source: SourceFile, block: HclBlock) -> Instances:
    """How many instances ``block`` (of ``module``, in ``source``) makes: its ``count`` or
    ``for_each`` evaluated without a plan (``terraform_values.evaluate_inputs``, through
    variables, locals and module-call arguments). Terraform makes none for ``count = 0`` or an
    empty ``for_each`` (1.11.4 ``terraform plan``: no instance of ``terraform_data`` with
    ``count = var.enabled ? 1 : 0`` and ``enabled`` false, nor with ``for_each = {}``,
    ``toset([])`` or a variable whose default is ``{}``; a module call's the same); with
    ``-var enabled=true`` it makes one, so a number read from a root variable is only what a
    plan without flags makes (``Instances.inputs``). Both arguments on one block are refused
    (Invalid combination of "count" and "for_each")."""
    count, for_each = block.attribute("count"), block.attribute("for_each")
    if count is not None and for_each is not None:
        both = 'count and for_each are both set: terraform refuses it (Invalid combination of "count" and "for_each"); use one'
        return Instances(None, "count", refused=both, where=for_each)
    for meta, found in (("count", count), ("for_each", for_each)):
        if found is not None:
            value, inputs = evaluate_inputs(module, Written(source, found))
            return Instances(instance_count(value, meta), meta, inputs, refusal(value, meta) or "", found)
    return _ONE  # the common case: one instance (frozen, so one object serves every block)


def meta_refusals(module: TerraformModule, documents: Iterable[HclDocument]) -> Iterator[Problem]:
    """A ``count`` or ``for_each`` of ``documents`` (of ``module``) that terraform refuses
    whatever it is given (``Instances.refused``, read from the configuration alone), at the
    argument: terraform plans nothing of the module then (PGF001)."""
    called = f" (in {module.caller.address})" if module.caller is not None else ""
    for document in documents:
        for block in document.blocks:
            if block.type not in ("resource", "data", "module"):
                continue
            counted = instances(module, document.source, block)
            if counted.refused and not counted.inputs and counted.where is not None:
                where = Location(document.source, counted.where.start, counted.where.end)
                yield Problem(where, counted.refused + called)


def local_module_directory(directory: Path, block: HclBlock) -> Path | None:
    """The directory a ``module`` block of ``directory`` calls, when its ``source`` is a
    literal local path; None for a registry, git or computed source."""
    found = block.attribute("source")
    if block.type != "module" or found is None or found.value.kind != STRING:
        return None
    text = str(found.value.value)
    if not text.startswith(LOCAL_SOURCE_PREFIXES):
        return None
    return Path(os.path.normpath(directory / text))


class TerraformModule:
    """The .tf files of one directory, with their variables, locals and variable values; with
    ``caller``, the directory as that call instantiates it (module docstring)."""

    def __init__(self, documents: list[HclDocument], caller: ModuleCall | None = None) -> None:
        self.caller = caller
        self.condition = caller.condition if caller is not None else ""
        self._arguments: dict[str, Resolution] = {}  # the call's arguments, as the caller resolves them
        self.evaluated: dict[str, object] = {}  # var.<name> as terraform_values.evaluate reads it
        self.documents = [d for d in documents if not is_auto_tfvars(d.source.path.name)]
        self.variables: dict[str, tuple[SourceFile, HclBlock]] = {}
        self.locals: dict[str, Written] = {}
        # Values from terraform.tfvars / *.auto.tfvars: they win over a variable's default
        # (of a root module only: a called module's values come from its call).
        self.values: dict[str, Written] = {}
        self.broken = [d.source.display for d in documents if d.error is not None]
        tfvars = sorted((d for d in documents if is_auto_tfvars(d.source.path.name)),
                        key=lambda d: tfvars_order(d.source.path.name))  # fmt: skip
        for document in tfvars if caller is None else ():
            for attribute in document.attributes:
                self.values[attribute.name] = Written(document.source, attribute)
        documents = self.documents
        for document in documents:
            for block in document.blocks:
                if block.type == "variable" and len(block.labels) == 1:
                    self.variables.setdefault(block.labels[0], (document.source, block))
                elif block.type == "locals":
                    for attribute in block.attributes:
                        self.locals.setdefault(attribute.name, Written(document.source, attribute))

    def resolve(self, written: Written, seen: tuple[str, ...] = (), *, expressions: bool = False) -> Resolution:
        """Follow ``var.x`` / ``local.x`` from an attribute to a literal, as far as the text allows.
        With ``expressions``, any other expression (a list, an object, a call) also ends the
        chain and is its ``written`` (status UNKNOWN: its value is not computed here), so that a
        caller can read a list a variable's default or a tfvars file writes."""
        value = written.value
        if value.kind == NULL:
            return Resolution(UNSET, None, written, seen, "null")
        if value.kind in (NUMBER, STRING, BOOL):
            return Resolution(SET, value.value, written, seen)
        if value.kind != REFERENCE:
            return Resolution(UNKNOWN, None, written if expressions else None, seen, "an expression that needs a plan to evaluate")
        root, name = value.value
        label = f"{root}.{name}"
        if label in seen:
            return Resolution(UNKNOWN, None, None, seen, f"{label} refers to itself")
        via = (*seen, label)
        if root == "local":
            target = self.locals.get(name)
            if target is None:
                return Resolution(UNKNOWN, None, None, via, f"no local {name} is defined{self._maybe_broken()}")
            return self.resolve(target, via, expressions=expressions)
        declared = self.variables.get(name)
        if declared is None:
            return Resolution(UNKNOWN, None, None, via, f"no variable {name!r} is declared{self._maybe_broken()}")
        return self._variable(name, declared, seen, via, expressions)

    def variable(self, name: str) -> Resolution:
        """What ``var.<name>`` comes to in this module (a declared variable's name)."""
        return self._variable(name, self.variables[name], (), (f"var.{name}",))

    def _variable(self, name: str, declared: tuple[SourceFile, HclBlock], seen: tuple[str, ...],
                  via: tuple[str, ...], expressions: bool = False) -> Resolution:  # fmt: skip
        argument = self.caller.block.attribute(name) if self.caller is not None else None
        if self.caller is not None and argument is not None:
            # Read in the calling module, with its own variables and locals (a fresh chain there),
            # once: a chain of calls n deep is then read in n steps, not n * n.
            call = f"{self.caller.address}.{name}"
            if expressions:
                given = self.caller.module.resolve(Written(self.caller.source, argument), expressions=True)
            else:
                given = self._arguments.get(name)
                if given is None:
                    given = self._arguments[name] = self.caller.module.resolve(Written(self.caller.source, argument))
            mine = (*self._owners(seen), self, self.caller.module)
            if given.status is UNSET and given.written is not None and not_nullable(declared[1]):
                # A null argument leaves a "nullable = false" variable its default (Terraform
                # 1.11.4 console: the default; with nullable true, null).
                return self._default(name, declared, (*via, call, *given.via), expressions)
            return replace(
                given,
                via=(*via, call, *given.via),
                owners=(*mine, *(given.owners or (self.caller.module,) * len(given.via))),
            )
        given = self.values.get(name) if self.caller is None else None
        if given is not None:
            return self.resolve(given, via, expressions=expressions)
        return self._default(name, declared, via, expressions)

    def _default(self, name: str, declared: tuple[SourceFile, HclBlock], via: tuple[str, ...],
                 expressions: bool = False) -> Resolution:  # fmt: skip
        source, block = declared
        default = block.attribute("default")
        if default is None:
            if self.caller is not None:
                reason = f"variable {name!r} has no default and {self.caller.address} gives no {name}"
            else:
                reason = f"variable {name!r} has no default: its value comes from the caller or a .tfvars file"
            return Resolution(UNKNOWN, None, None, via, reason)
        return self.resolve(Written(source, default), via, expressions=expressions)

    def _owners(self, seen: tuple[str, ...]) -> tuple[TerraformModule, ...]:
        return (self,) * len(seen)

    def _maybe_broken(self) -> str:
        return f" (unreadable here: {', '.join(self.broken)})" if self.broken else " in this directory"

    def references(self, label: str) -> int:
        """How often ``label`` (``var.x``, ``local.x``) is read in the module's .tf files.
        Comments are not told apart, so the count errs high, never low. A text without
        "var." or "local." holds no reference and is not searched (on the 1,000-file benchmark
        tree, 605 of 1,000 files: the pattern's look-behind is tried at every character)."""
        if not hasattr(self, "_references"):
            self._references: Counter[str] = Counter(
                f"{root}.{name}" for document in self.documents
                if "var." in document.source.text or "local." in document.source.text
                for root, name in _REFERENCE.findall(document.source.text)
            )  # fmt: skip
        return self._references[label]

    def sharing(self, label: str) -> str | None:
        """Why a value written at ``label`` (``var.x``, ``local.x``) of this module reaches other
        places too: the module reads it more than once, or it is a variable of a called
        directory whose default several calls use (their call does not give it); None if not."""
        count = self.references(label)
        if count > 1:
            return f"which the module reads {count} times"
        caller = self.caller
        if caller is not None and caller.calls > 1 and label.startswith("var.") and caller.block.attribute(label[4:]) is None:
            return f"whose default the {caller.calls} calls of this module share"
        return None

    def shared(self, via: tuple[str, ...], owners: tuple[TerraformModule, ...] = ()) -> tuple[str, str] | None:
        """The first variable or local of a followed chain (``Resolution.via``, each label read
        in its ``owners`` module, this one when not given) whose value reaches other places too
        (``sharing``), and why: a value written there (a variable's default, a tfvars line, a
        local) changes those other places as well, so the fix is not safe. None if none is."""
        for index, label in enumerate(via):
            owner = owners[index] if index < len(owners) else self
            why = owner.sharing(label)
            if why is not None:
                return label, why
        return None


def shared_note(module: TerraformModule, via: tuple[str, ...], owners: tuple[TerraformModule, ...] = ()) -> str:
    """Why a fix through ``via`` is unsafe, for its message: " (at var.x, which the module reads
    N times)"; "" when the edit lands on no variable or local another place reads."""
    shared = module.shared(via, owners)
    return "" if shared is None else f" (at {shared[0]}, {shared[1]})"


def unsafe_when_shared(
    result: Fix | Refusal, module: TerraformModule, via: tuple[str, ...], owners: tuple[TerraformModule, ...] = ()
) -> Fix | Refusal:
    """``result`` made unsafe when its edit lands on a variable or local that other places
    of the module read (TerraformModule.shared): the fix would change them too."""
    note = shared_note(module, via, owners)
    if not isinstance(result, Fix) or not note:
        return result
    return replace(result, applicability=UNSAFE, message=result.message + note)


class TerraformResource(SettingsView):
    """One block of a Terraform module judged as a whole (a load balancer, a box on the path):
    its arguments read through the module's variables, locals and tfvars.

    ``get(key)`` answers for the block's argument ``key``: ``location`` and ``raw`` are the
    argument on the block (the block's header when absent), ``trail`` the references followed
    to the value, ``reason`` why it is UNKNOWN without a plan. ``fix(key, value)`` writes the
    value where it is written (a variable's default, a tfvars line), else adds the argument
    to the block as ``terraform fmt`` would; a value only a plan knows is refused.
    """

    layer = "network"

    def __init__(self, module: TerraformModule, source: SourceFile, block: HclBlock) -> None:
        super().__init__()
        self.module = module
        self.source = source
        self.block = block
        self.scope = {source.path}
        self.address = f"{block.labels[0]}.{block.labels[1]}" if len(block.labels) == 2 else block.type

    @property
    def shown(self) -> str:
        """The address as a finding names it: ``"aws_elb.legacy"``, or with ``", if created
        (why)"`` when terraform may make no instance of the block: its ``count``/``for_each``
        is not known without a plan, or makes none only with a root variable's value as
        written (``Instances.unknown``), or its module call's does (``TerraformModule.condition``).
        The same words as the idle budget's (``IdleTimer.origin``)."""
        condition = instances(self.module, self.source, self.block).unknown() or self.module.condition
        return f"{self.address}, if created ({condition})" if condition else self.address

    def attribute(self, key: str) -> Written | None:
        found = self.block.attribute(key)
        return Written(self.source, found) if found is not None else None

    def resolve(self, key: str) -> Resolution:
        written = self.attribute(key)
        if written is None:
            return Resolution(UNSET, reason="absent")
        return self.module.resolve(written)

    # --- the SettingsView interface --------------------------------------------------------

    def get(self, key: str, unit: str | None = None, number: bool = False) -> Setting:
        """``key`` as the resource gets it: ``location`` and ``raw`` are the attribute on the
        block (its header when absent), ``trail`` the variables and locals followed to the
        value, ``reason`` why it is UNKNOWN without a plan (when MISSING: " in <address>").
        With ``number``, a value that is not a whole number of seconds is UNKNOWN."""
        resolution = self.resolve(key)
        attribute = self.attribute(key)
        if attribute is not None:
            at = Location(self.source, attribute.attribute.start, attribute.attribute.end)
            raw = attribute.text()
        else:
            at, raw = self.header_location(), ""
        origin = resolution.written
        trail = Trail(
            resolution.via,
            origin.text() if origin is not None else None,
            origin.where(self.source.path.parent) if origin is not None else None,
        )
        setting = Setting(
            key,
            resolution.status,
            at=at,
            value=resolution.value,
            text=raw,
            raw=raw,
            trail=trail,
            reason=self.describe_missing() if resolution.status is UNSET else resolution.reason,
            judged=self.judges(key),
        )
        if number and setting.is_set:
            text = str(resolution.value).strip()
            if isinstance(resolution.value, bool) or not (text.isascii() and text.isdigit()):
                return replace(setting, state=State.UNKNOWN, value=None, reason=f'"{text[:40]}" is not a whole number of seconds')
            if len(text) > 4000:  # int() raises ValueError past 4,300 digits
                return replace(setting, state=State.UNKNOWN, value=None, reason="the value is out of range")
            return replace(setting, value=int(text), unit=unit)
        return setting

    def effective(self, key: str) -> Assignment | None:
        """Where the value the resource gets is written (the attribute, a local or a
        variable default); None when it is absent, null, or not known without a plan."""
        resolution = self.resolve(key)
        if resolution.status != SET or resolution.written is None:
            return None
        written = resolution.written
        value = written.value
        return Assignment(
            key=key,
            source=written.source,
            start=written.attribute.start,
            end=written.attribute.end,
            value=str(resolution.value),
            value_start=value.start,
            value_end=value.end,
            quoted=value.quoted,
        )

    def numeric(self, assignment: Assignment, unit: str | None) -> int:
        text = assignment.value.strip()
        if not text.isascii() or not text.isdigit():
            raise ValueError(f'"{text[:40]}" is not a whole number of seconds')
        if len(text.lstrip("0")) > 20:
            raise ValueError("the value is out of range")
        return int(text)

    def header_location(self) -> Location:
        return Location(self.source, self.block.start, self.block.open_brace + 1)

    def missing_location(self, key: str) -> Location:
        return self.header_location()

    def fix(self, key: str, value: str) -> Fix | Refusal:
        """As SettingsView.fix; unsafe when the value is written at a variable or local that
        other places of the module read too (unsafe_when_shared)."""
        resolution = self.resolve(key)
        return unsafe_when_shared(super().fix(key, value), self.module, resolution.via, resolution.owners)

    def set_edits(self, key: str, value: str) -> tuple[Edit, ...]:
        resolution = self.resolve(key)
        if resolution.written is not None and resolution.status in (SET, UNSET):
            return replace_expression(resolution.written.source, resolution.written.value, value)
        if resolution.status == UNSET:
            return insert_attribute(self.source, self.block, key, value)
        return ()  # not known without a plan: no guess

    def describe_missing(self) -> str:
        return f" in {self.address}"


def module_files(workspace: Workspace, directory: Path, given: list[SourceFile], like: str | None = None) -> list[SourceFile]:
    """The given .tf files and their siblings: Terraform reads the directory as one module.
    ``like``: a path as the user gave it, for the siblings' display when none is given. The
    directory's listing is made once a run (``Workspace.listings``)."""
    by_path = {source.path: source for source in given}
    like = given[0].display if given else like
    paths = workspace.listings.get(directory)
    if paths is None:
        try:
            names = sorted(os.listdir(directory))
        except OSError:
            names = []
        paths = workspace.listings[directory] = [
            directory / name for name in names if is_configuration(name) or is_auto_tfvars(name)
        ]
    for path in paths:
        if path not in by_path and path.is_file():
            try:
                by_path[path] = workspace.load(path, workspace.display_for(path, like))
            except InputError:
                continue  # a sibling we were not asked about; its own run reports it
    return [by_path[path] for path in sorted(by_path, key=lambda path: path.name)]  # by the name listed


MAX_MODULE_DEPTH = 100  # calls followed below a root module (our limit; a cycle stops earlier)


def read_modules(
    workspace: Workspace, groups: dict[Path, list[SourceFile]], like: str | None = None
) -> tuple[dict[Path, list[HclDocument]], dict[Path, int]]:
    """The documents of each directory of ``groups`` (its given files and their siblings,
    :func:`module_files`) and of every directory their ``module`` blocks call, however deep;
    and how many module blocks call each called directory. ``like``: a path as the user gave
    it, for the display of files nobody named."""
    documents: dict[Path, list[HclDocument]] = {}
    calls: dict[Path, int] = {}
    pending = list(groups)
    while pending:
        directory = pending.pop(0)
        if directory in documents:
            continue
        files = module_files(workspace, directory, groups.get(directory, []), like)
        documents[directory] = [HclDocument(source) for source in files]
        for target in _called(directory, documents[directory]):
            calls[target] = calls.get(target, 0) + 1
            pending.append(target)
    return documents, calls


def _called(directory: Path, documents: list[HclDocument]) -> list[Path]:
    """The directories the module blocks of ``directory`` call (local sources that are directories)."""
    found = []
    for document in documents:
        for block in document.blocks:
            target = local_module_directory(directory, block)
            if target is not None and is_dir(target):
                found.append(target)
    return found


Chain = tuple[Path, ...]  # the directories of the calls above an instance, outermost first


def module_instances(
    directories: Iterable[Path], documents: dict[Path, list[HclDocument]], calls: dict[Path, int]
) -> Iterator[tuple[Path, TerraformModule]]:
    """``(directory, module)`` for each module Terraform would instantiate from ``directories``
    (with ``documents`` and ``calls`` from :func:`read_modules`): each directory no module block
    calls, as a root module; then, depth first in the order the blocks are written, each
    directory a module block of it calls, once per call with that call's arguments
    (:class:`ModuleCall`; none for a call whose ``count`` or ``for_each`` makes no instance,
    :func:`instances`), up to ``MAX_MODULE_DEPTH`` calls deep and never into a directory
    already on the chain. A directory reached by neither (called only from a cycle of calls)
    comes last, as a root, its calls not followed.

    An instance that would read exactly as one already given (:func:`_instance_key`: the same
    directory and chain of directories, the same values of its variables from the same places,
    the same condition) is not given again, nor anything below it: a module called three times
    a level, seven levels deep, is 7 x 3 instances, not 3 ** 7. What is left out differs only in
    the module names its trails list."""
    reached: set[Path] = set()
    given: set[tuple] = set()

    def below(module: TerraformModule, directory: Path, chain: Chain) -> Iterator[tuple[Path, TerraformModule]]:
        for document in module.documents:
            for block in document.blocks:
                target = local_module_directory(directory, block)
                if target is None or target not in documents or target in chain or target == directory:
                    continue
                counted = instances(module, document.source, block)
                if counted.absent:
                    continue  # Terraform makes no instance (1.11.4 console: module.x is [])
                address = f"module.{block.labels[0]}" if block.labels else "module"
                condition = counted.unknown(f"{address}'s") or module.condition
                call = ModuleCall(module, document.source, block, calls.get(target, 1), condition)
                yield target, TerraformModule(documents[target], call)

    def instantiate(module: TerraformModule, directory: Path, follow: bool) -> Iterator[tuple[Path, TerraformModule]]:
        reached.add(directory)
        yield directory, module
        if not follow or not calls:
            return
        # Depth first, as a recursion over the calls would go, with a stack of the chains' calls.
        stack = [((directory,), below(module, directory, ()))]
        while stack:
            chain, pending = stack[-1]
            step = next(pending, None)
            if step is None:
                stack.pop()
                continue
            target, instance = step
            key = _instance_key(target, chain, instance)
            if key in given:
                continue
            given.add(key)
            reached.add(target)
            yield target, instance
            if len(chain) < MAX_MODULE_DEPTH:
                stack.append(((*chain, target), below(instance, target, chain)))

    directories = list(directories)
    for directory in directories:
        if directory not in calls:
            yield from instantiate(TerraformModule(documents[directory]), directory, True)
    for directory in directories:
        if directory not in reached:
            yield from instantiate(TerraformModule(documents[directory]), directory, False)


def _instance_key(directory: Path, chain: Chain, module: TerraformModule) -> tuple:
    """What an instance of a called directory reads as: two with the same key give the same
    views and timers, their trails aside. Each variable's resolution (state, typed value, the
    place it is written, the reason it is unknown, the first shared variable on its way) and
    its value as ``count`` and ``for_each`` see it; the chain (it decides which calls are
    followed below) and the condition under which the instance exists."""
    values = []
    for name in sorted(module.variables):
        resolution = module.variable(name)
        written = resolution.written
        place = None if written is None else (str(written.source.path), written.attribute.start, written.attribute.end)
        shared = module.shared(resolution.via, resolution.owners)
        values.append((name, resolution.status, frozen(resolution.value), place, resolution.reason, shared,
                       frozen(variable_value(module, name))))  # fmt: skip
    return (directory, chain, module.condition, tuple(values))


def whole_number(value: object) -> int | None:
    """An int from a Terraform literal (a number or a string of ASCII digits); None otherwise,
    and for a string of more than 20 digits: no idle timeout has them, and ``int()`` of one past
    4,300 digits raises ValueError (found by a sweep of the fixtures; ``"²".isdigit()`` is true
    too, and ``int("²")`` raises)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text.lstrip("0")) <= 20:
            return int(text)
    return None
