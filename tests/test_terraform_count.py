"""Which boxes exist: ``count`` and ``for_each`` of resources and module calls, evaluated without a
plan (``terraform_values``) and held to what terraform itself plans; and module calls that fan
out, counted in modules built (never in seconds).

The terraform checks run the real terraform (1.11.4 here) on provider-free copies: every box
becomes a ``terraform_data`` resource (built into terraform, nothing to download) with the same
``count`` or ``for_each``, and ``terraform plan`` says which instances exist.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from pgconf_fix.documents.hcl import HclDocument
from pgconf_fix.source import SourceFile
from pgconf_fix.views import terraform_module
from pgconf_fix.views.middleboxes import box_kinds, middleboxes
from pgconf_fix.views.terraform_module import (
    TerraformModule,
    Written,
    instances,
    module_instances,
    read_modules,
)
from pgconf_fix.views.terraform_values import evaluate, instance_count
from pgconf_fix.workspace import Workspace
from tests.cli_runner import run_cli

TERRAFORM = shutil.which("terraform")
FIXTURES = Path(__file__).parent / "fixtures" / "path"
needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH")

# -- count and for_each, one expression at a time ----------------------------------------

DECLARATIONS = """\
variable "off" {
  type    = bool
  default = false
}
variable "off_string" {
  default = "false"
}
variable "typed_off" {
  type    = bool
  default = "false"
}
variable "nothing" {
  default = {}
}
variable "zones" {
  type    = map(string)
  default = { a = "x", b = "y" }
}
variable "subnets" {
  type    = list(string)
  default = ["a", "b"]
}
variable "empty_set" {
  type    = set(string)
  default = []
}
variable "replicas" {
  type    = number
  default = "0"
}
variable "env" {
  type    = string
  default = "staging"
}
variable "cfg" {
  default = { enabled = false }
}
locals {
  on        = !var.off
  count_two = 2
  nothing   = tomap({})
}
"""

# (meta-argument, expression, whether we know its instances without a plan)
EXPRESSIONS = [
    ("count", "0", True),
    ("count", "1", True),
    ("count", '"0"', True),
    ("count", "var.off ? 1 : 0", True),
    ("count", "var.off_string ? 1 : 0", True),
    ("count", "var.typed_off ? 1 : 0", True),
    ("count", "local.on ? 1 : 0", True),
    ("count", "var.replicas", True),
    ("count", "var.replicas > 0 ? 1 : 0", True),
    ("count", 'var.env == "production" ? 1 : 0', True),
    ("count", 'var.env != "production" ? 1 : 0', True),
    ("count", "length(var.subnets)", True),
    ("count", "length(var.subnets) > 2 ? 1 : 0", True),
    ("count", "var.off || local.on ? 1 : 0", True),
    ("count", "var.off && local.on ? 1 : 0", True),
    ("count", '"${var.off ? 1 : 0}"', True),
    ("count", "local.count_two * (var.off ? 1 : 0)", True),
    ("count", "var.cfg.enabled ? 1 : 0", True),
    ("count", "-1 + 1", True),
    ("count", '"2" < 10 ? 1 : 0', True),
    ("count", "length(var.nothing)", True),
    ("count", "var.off ? 1 : length(var.subnets) - 2", True),
    ("count", "(var.off\n    ? 1\n    : 0)", True),
    ("count", "length(var.zones)", True),
    ("count", 'var.env == 1 ? 1 : 0', False),  # mixed types: terraform says false, we do not guess
    ("count", "length(toset(var.subnets))", False),  # a set's size after its elements' conversion
    ("count", "abs(0)", False),  # a function not modelled
    ("for_each", "{}", True),
    ("for_each", "toset([])", True),
    ("for_each", "var.nothing", True),
    ("for_each", "local.nothing", True),
    ("for_each", "var.zones", True),
    ("for_each", "var.empty_set", True),
    ("for_each", 'var.off ? toset(["a"]) : toset([])', True),
    ("for_each", "var.off ? { a = 1 } : {}", True),
    ("for_each", "local.on ? var.zones : {}", True),
    ("for_each", 'toset(["a", "a", "b"])', True),
    # Both branches are converted to one type: [] beside a set is an empty set, not a tuple.
    ("for_each", 'var.off ? toset(["a"]) : []', True),
    ("for_each", 'var.off ? ["a"] : toset([])', True),
    ("count", '"+1"', True),
    ("count", '"1E1"', True),
    ("for_each", "toset(var.subnets)", False),
    ("for_each", "{ for name in var.subnets : name => name }", False),
]


def _module(text: str) -> tuple[TerraformModule, HclDocument]:
    source = SourceFile.from_bytes(Path("/nonexistent/main.tf"), "main.tf", text.encode())
    document = HclDocument(source)
    assert document.error is None, document.error
    return TerraformModule([document]), document


def _ours(text: str) -> dict[str, int | None]:
    module, document = _module(text)
    return {
        block.labels[1]: instances(module, document.source, block).count
        for block in document.blocks
        if block.type == "resource"
    }


def _resources(cases: list[tuple[str, str, bool]]) -> str:
    return "".join(f'resource "terraform_data" "e{i}" {{\n  {meta} = {text}\n}}\n' for i, (meta, text, _) in enumerate(cases))


def _plan(directory: Path, tmp_path: Path, *flags: str) -> subprocess.CompletedProcess[str] | dict:
    """``terraform plan`` of ``directory`` (with ``flags``: ``-var=x=1``): its JSON plan, or the failed run."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    run = {"cwd": directory, "env": env, "capture_output": True, "text": True, "timeout": 300}
    init = subprocess.run([TERRAFORM, "init", "-backend=false", "-input=false", "-no-color"], check=False, **run)
    if init.returncode != 0:
        return init  # init refuses a configuration it cannot read
    plan = subprocess.run([TERRAFORM, "plan", "-input=false", "-no-color", "-out=plan.bin", *flags], check=False, **run)
    if plan.returncode != 0:
        return plan
    shown = subprocess.run([TERRAFORM, "show", "-json", "plan.bin"], check=False, **run)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def _instances_planned(plan: dict) -> dict[str, int]:
    """Planned instances by address, module path included and instance keys left out."""
    counted: dict[str, int] = {}
    for change in plan.get("resource_changes", []):
        address = re.sub(r"\[[^\]]*\]", "", change["address"])
        counted[address] = counted.get(address, 0) + 1
    return counted


def test_count_and_for_each_are_read_through_variables_locals_and_conditionals() -> None:
    ours = _ours(DECLARATIONS + _resources(EXPRESSIONS))
    for index, (meta, text, known) in enumerate(EXPRESSIONS):
        assert (ours[f"e{index}"] is not None) == known, (meta, text, ours[f"e{index}"])


@needs_terraform
def test_count_and_for_each_are_what_terraform_plans(tmp_path: Path) -> None:
    """Each expression we claim to know gives the number of instances terraform plans."""
    text = DECLARATIONS + _resources(EXPRESSIONS)
    (tmp_path / "main.tf").write_text(text)
    plan = _plan(tmp_path, tmp_path)
    assert isinstance(plan, dict), plan.stdout + plan.stderr
    theirs = _instances_planned(plan)
    ours = _ours(text)
    compared = 0
    for index, (meta, expression, _) in enumerate(EXPRESSIONS):
        if ours[f"e{index}"] is None:
            continue
        assert ours[f"e{index}"] == theirs.get(f"terraform_data.e{index}", 0), (meta, expression)
        compared += 1
    assert compared == sum(known for _, _, known in EXPRESSIONS)
    assert 0 < sum(1 for n in ours.values() if n == 0) < len(ours)  # both outcomes were compared


REFUSED = [
    ("for_each", "[]", 0, "Invalid for_each argument"),  # a tuple, even empty: nothing is ever created
    ("count", "false", None, "Incorrect value type"),  # terraform: "number required"
    ("count", "-1", None, "Invalid count argument"),
    ("count", "null", None, "Invalid count argument"),
    ("count", '"inf"', None, "Invalid count argument"),  # a string Python's float() takes: no traceback
    ("count", '"+Inf"', None, "Invalid count argument"),
    ("count", "1e400", None, "Invalid count argument"),  # beyond a float
    ("count", "1e20", None, "Invalid count argument"),  # beyond an int64
    ("count", "1.5", None, "Invalid count argument"),
    ("count", '"nan"', None, "Incorrect value type"),
    ("count", '"INF"', None, "Incorrect value type"),
    ("count", '" 1"', None, "Incorrect value type"),  # cty reads no blank around a number
    ("count", '"1_0"', None, "Incorrect value type"),
    ("count", '"0x1"', None, "Incorrect value type"),
    ("count", '"\u0661"', None, "Incorrect value type"),  # ARABIC-INDIC DIGIT ONE: Python's float() takes it
    ("count", "[1]", None, "Incorrect value type"),
    ("for_each", '["a", "b"]', None, "Invalid for_each argument"),  # a list of strings without toset
    ("for_each", "tolist(toset([]))", 0, "Invalid for_each argument"),
    ("for_each", "local.names", None, "Invalid for_each argument"),
    ("for_each", "local.off ? [] : []", 0, "Invalid for_each argument"),
    ("for_each", "null", None, "Invalid for_each argument"),
    ("for_each", '"a"', None, "Invalid for_each argument"),
    ("for_each", "1", None, "Invalid for_each argument"),
    ("for_each", "toset([1, 2])", None, "Invalid for_each set argument"),  # was: 2 instances
    ("for_each", "toset([true])", None, "Invalid for_each set argument"),
]
REFUSED_LOCALS = 'locals {\n  off   = false\n  names = ["a", "b"]\n}\n'


@pytest.mark.parametrize(("meta", "text", "count", "error"), REFUSED, ids=[f"{m}={t}" for m, t, _, _ in REFUSED])
def test_what_terraform_refuses_is_a_parse_error(meta: str, text: str, count: int | None, error: str,
                                                 tmp_path: Path) -> None:  # fmt: skip
    """PGF001 at the argument, with terraform's heading; the block makes no box or stays unknown.
    Was: nothing said, and toset([1, 2]) taken for two instances."""
    resource = REFUSED_LOCALS + f'resource "terraform_data" "x" {{\n  {meta} = {text}\n}}\n'
    assert _ours(resource)["x"] == count
    (tmp_path / "main.tf").write_text(resource)
    outcome = run_cli(["--no-cache", "."], tmp_path)
    assert f"main.tf:6:3: PGF001 {meta} is " in outcome.stdout and f"({error})" in outcome.stdout, outcome.stdout
    assert outcome.code == 1
    if TERRAFORM is None:
        pytest.skip("terraform is not on PATH")
    plan = _plan(tmp_path, tmp_path)
    assert not isinstance(plan, dict)
    assert error in plan.stdout + plan.stderr or error == "Incorrect value type" and "number required" in plan.stdout + plan.stderr


# Values terraform refuses only as the tree writes a root variable: a -var-file not loaded by
# itself (here prod.tfvars, with the values given) makes them good, so they are no parse error.
REFUSED_WITH_DEFAULTS = [
    ('variable "zones" {\n  default = []\n}\n', "for_each", "var.zones", "zones = { a = 1 }\n"),
    ('variable "n" {\n  default = -1\n}\n', "count", "var.n", "n = 1\n"),
    ('variable "n" {\n  default = -1\n}\nlocals {\n  n = var.n\n}\n', "count", "local.n", "n = 0\n"),
]


@pytest.mark.parametrize(("declared", "meta", "text", "values"), REFUSED_WITH_DEFAULTS)
def test_a_value_a_root_variable_decides_is_no_parse_error(declared: str, meta: str, text: str, values: str,
                                                           tmp_path: Path) -> None:  # fmt: skip
    (tmp_path / "main.tf").write_text(declared + f'resource "terraform_data" "x" {{\n  {meta} = {text}\n}}\n')
    (tmp_path / "prod.tfvars").write_text(values)
    outcome = run_cli(["--no-cache", "main.tf"], tmp_path)
    assert "PGF001" not in outcome.stdout, outcome.stdout
    if TERRAFORM is None:
        pytest.skip("terraform is not on PATH")
    assert not isinstance(_plan(tmp_path, tmp_path), dict)  # refused as written
    assert isinstance(_plan(tmp_path, tmp_path, "-var-file=prod.tfvars"), dict)  # taken with the var-file


# Values terraform takes that look refused: a conditional converts its branches to one type
# (the [] beside a set is an empty set), mixed set elements become strings, cty's number forms.
ACCEPTED = [
    ("for_each", 'local.off ? toset(["a"]) : []'),
    ("for_each", 'local.off ? ["a"] : toset([])'),
    ("for_each", 'toset(["a", 1])'),
    ("for_each", "{ a = null }"),
    ("count", '"1."'),
    ("count", '".5e1"'),
    ("count", '"-0"'),
]


@pytest.mark.parametrize(("meta", "text"), ACCEPTED)
def test_what_terraform_takes_is_no_parse_error(meta: str, text: str, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(REFUSED_LOCALS + f'resource "terraform_data" "x" {{\n  {meta} = {text}\n}}\n')
    outcome = run_cli(["--no-cache", "."], tmp_path)
    assert "PGF001" not in outcome.stdout, outcome.stdout
    if TERRAFORM is not None:
        plan = _plan(tmp_path, tmp_path)
        assert isinstance(plan, dict), plan.stdout + plan.stderr


def test_count_and_for_each_together_are_refused(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "terraform_data" "x" {\n  count    = 1\n  for_each = {}\n}\n')
    outcome = run_cli(["--no-cache", "."], tmp_path)
    assert 'main.tf:3:3: PGF001 count and for_each are both set: terraform refuses it (Invalid combination of "count" and "for_each")' in outcome.stdout, outcome.stdout
    if TERRAFORM is not None:
        plan = _plan(tmp_path, tmp_path)
        assert not isinstance(plan, dict) and 'Invalid combination of "count" and "for_each"' in plan.stdout + plan.stderr


def test_a_value_not_known_keeps_the_box() -> None:
    module, document = _module('resource "a" "b" {\n  count = length(data.aws_subnets.x.ids)\n}\n')
    counted = instances(module, document.source, document.blocks[0])
    assert counted.count is None and counted.unknown() == "its count is not known without a plan"
    assert instance_count(evaluate(module, _written(document, "count")), "count") is None


def _written(document: HclDocument, name: str) -> Written:
    return Written(document.source, document.blocks[0].attribute(name))


# -- the fixtures, as terraform plans them ------------------------------------------------

# Each fixture, and a var-file (not loaded by itself) that sets the root variables its counts read.
PLANNED_FIXTURES = {
    "middlebox-count-for-each-disabled": 'enable_legacy_listener = true\ncanary_zones = { a = "x" }\n',
    "nlb-listener-module-call-disables-it": "replicas = 1\n",
    "nlb-listener-module-call-count-zero": "",
    "nlb-listener-in-a-module-call": "",
}


def _provider_free(tree: Path) -> None:
    """Every resource of the copied ``tree`` becomes a ``terraform_data`` named ``<type>__<name>``
    with only its ``count`` / ``for_each``; module calls, variables and locals stay as written."""
    for path in sorted(tree.rglob("*.tf")):
        text = path.read_text(encoding="utf-8")
        document = HclDocument(SourceFile.from_bytes(path, path.name, text.encode()))
        for block in reversed(document.blocks):
            if block.type != "resource":
                continue
            metas = "".join(
                f"  {meta} = {text[found.value.start : found.value.end]}\n"
                for meta in ("count", "for_each")
                if (found := block.attribute(meta)) is not None
            )
            replacement = f'resource "terraform_data" "{block.labels[0]}__{block.labels[1]}" {{\n{metas}}}'
            text = text[: block.start] + replacement + text[block.end :]
        path.write_text(text, encoding="utf-8")


def _boxes_we_keep(tree: Path) -> tuple[set[str], set[str]]:
    """The boxes of ``tree`` (its root module at ``infra/``) that we take to exist when terraform
    is given no flags, and those we keep as boxes that may exist (these, and the ones of which a
    root variable's value as written makes none), by address as terraform writes it (module
    path included, instance keys left out)."""
    workspace = Workspace(tree)
    root = tree / "infra"
    groups = {root: [workspace.load(path) for path in sorted(root.glob("*.tf"))]}
    documents, calls = read_modules(workspace, groups)
    planned, kept = set(), set()
    for _, module in module_instances(groups, documents, calls):
        path, caller, called = [], module.caller, True
        while caller is not None:
            path.insert(0, caller.address)
            called = called and instances(caller.module, caller.source, caller.block).count != 0
            caller = caller.module.caller
        for box in middleboxes(module, module.documents):
            counted = instances(module, box.source, box.block)
            address = ".".join([*path, f"terraform_data.{box.block.labels[0]}__{box.block.labels[1]}"])
            if not counted.absent:
                kept.add(address)
            if called and counted.count != 0:
                planned.add(address)
    return planned, kept


@needs_terraform
@pytest.mark.parametrize("case", PLANNED_FIXTURES)
def test_the_boxes_we_keep_are_the_ones_terraform_plans(case: str, tmp_path: Path) -> None:
    """Without flags, terraform plans the boxes we take to exist; with a var-file setting the
    root variables the counts read, it plans the others we keep (and none we drop)."""
    work = tmp_path / "work"
    shutil.copytree(FIXTURES / case / "before", work)
    planned, kept = _boxes_we_keep(work)
    _provider_free(work)
    kinds = tuple(f"terraform_data.{kind}__" for kind in box_kinds())
    plan = _plan(work / "infra", tmp_path)
    assert isinstance(plan, dict), plan.stdout + plan.stderr
    theirs = {address for address in _instances_planned(plan) if any(kind in address for kind in kinds)}
    assert planned == theirs
    assert planned
    (work / "infra" / "prod.tfvars").write_text(PLANNED_FIXTURES[case])
    plan = _plan(work / "infra", tmp_path, "-var-file=prod.tfvars")
    assert isinstance(plan, dict), plan.stdout + plan.stderr
    with_values = {address for address in _instances_planned(plan) if any(kind in address for kind in kinds)}
    assert theirs | with_values == kept
    assert (kept != planned) == bool(PLANNED_FIXTURES[case])


# -- messages: a box that may not exist ---------------------------------------------------


def test_a_box_in_a_module_call_whose_count_is_not_known_is_named_as_conditional(tmp_path: Path) -> None:
    (tmp_path / "edge").mkdir()
    (tmp_path / "main.tf").write_text(
        'module "edge" {\n  source = "./edge"\n  count  = length(data.aws_subnets.x.ids)\n}\n\n'
        'resource "aws_db_parameter_group" "app" {\n  name   = "app"\n  family = "postgres16"\n}\n'
    )
    (tmp_path / "edge" / "nlb.tf").write_text(
        'resource "aws_lb_listener" "pg" {\n  protocol                 = "TCP"\n  tcp_idle_timeout_seconds = 90\n}\n'
    )
    outcome = run_cli(["."], tmp_path)
    assert "(90 s: NLB listener aws_lb_listener.pg at edge/nlb.tf:1, if created: module.edge's count is not known without a plan)" in outcome.stdout, outcome.stdout


# -- module calls that fan out -------------------------------------------------------------


def _fan_out(root: Path, width: int, depth: int, value: str = "200 - {i}") -> None:
    """A root calling ``l1`` ``width`` times, each level calling the next ``width`` times, the
    idle timer passed down from the root's arguments to an NLB listener in ``l<depth>``."""
    (root / "infra").mkdir(parents=True)
    for level in range(1, depth + 1):
        directory = root / "infra" / f"l{level}"
        directory.mkdir()
        text = 'variable "idle" {\n  type    = number\n  default = 350\n}\n'
        if level < depth:
            text += "".join(f'\nmodule "c{i}" {{\n  source = "../l{level + 1}"\n  idle   = var.idle\n}}\n' for i in range(width))
        else:
            text += '\nresource "aws_lb_listener" "pg" {\n  protocol                 = "TCP"\n  tcp_idle_timeout_seconds = var.idle\n}\n'
        (directory / "main.tf").write_text(text)
    calls = "".join(f'module "c{i}" {{\n  source = "./l1"\n  idle   = {eval(value.format(i=i))}\n}}\n\n' for i in range(width))
    parameters = 'resource "aws_db_parameter_group" "app" {\n  name   = "app"\n  family = "postgres16"\n}\n'
    (root / "infra" / "main.tf").write_text(calls + parameters)


def _built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A counter of the TerraformModule instances built from now on (the real class runs)."""
    built = [0]
    original = TerraformModule.__init__

    def counting(self: TerraformModule, *args: object, **kwargs: object) -> None:
        built[0] += 1
        original(self, *args, **kwargs)

    monkeypatch.setattr(TerraformModule, "__init__", counting)
    return built


def _instances_of(root: Path) -> list[tuple[Path, TerraformModule]]:
    workspace = Workspace(root)
    infra = root / "infra"
    groups = {infra: [workspace.load(infra / "main.tf")]}
    documents, calls = read_modules(workspace, groups)
    return list(module_instances(groups, documents, calls))


def test_module_calls_fanning_out_are_built_once_per_distinct_instance(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """3 calls a level, the root's three values passed down: each level deeper adds the same
    work (3 distinct instances, each building its 3 calls), where every call was followed before
    (3 ** 7 = 2187 instances of the deepest module alone at 7 levels)."""
    built = _built(monkeypatch)
    counts, given = {}, {}
    for depth in (4, 5, 6, 7):
        root = tmp_path / str(depth)
        _fan_out(root, 3, depth)
        built[0] = 0
        given[depth] = len(_instances_of(root))
        counts[depth] = built[0]
    assert given == {depth: 1 + 3 * depth for depth in given}, given  # the root, 3 a level
    assert {counts[d + 1] - counts[d] for d in (4, 5, 6)} == {9}, counts


def test_a_fan_out_gives_the_budget_the_first_chain_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole run, every reader's pass included, builds far fewer modules than the 3 ** 7
    instances of the deepest module, and names the budget as following every call did: the
    shortest timer, the first chain (depth first, calls in written order) that gives it."""
    built = _built(monkeypatch)
    depth = 7
    _fan_out(tmp_path, 3, depth)
    outcome = run_cli(["--select", "PGF101", "."], tmp_path)
    chain = " -> ".join(["var.idle", *["module.c0.idle -> var.idle"] * (depth - 1), "module.c2.idle = 198 in infra/main.tf:13"])
    assert f"(198 s: NLB listener aws_lb_listener.pg at infra/l{depth}/main.tf:6, {chain})" in outcome.stdout, outcome.stdout
    assert built[0] < 3**depth / 4, built[0]


def test_a_box_more_than_ten_calls_deep_is_on_the_path(tmp_path: Path) -> None:
    _fan_out(tmp_path, 1, 12)
    outcome = run_cli(["--select", "PGF101", "."], tmp_path)
    assert "above the idle budget (200 s: NLB listener aws_lb_listener.pg at infra/l12/main.tf:6" in outcome.stdout, outcome.stdout


def test_instances_left_out_differ_only_in_their_trails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With every instance built (the memo's key made unique), the findings are those of the
    memoized run plus ones that differ from one of them only in the module names of the trail:
    the same rule, place and fix. The budget is the same."""
    _fan_out(tmp_path, 3, 3, value="30 + {i}")  # 30-32 s: PGF303 (below AWS's 60) on every leaf
    memoized = json.loads(run_cli(["--format", "json", "."], tmp_path).stdout)
    unique = iter(range(10**9))
    monkeypatch.setattr(terraform_module, "_instance_key", lambda *args: next(unique))
    every = json.loads(run_cli(["--format", "json", "."], tmp_path).stdout)

    boxes = [f for f in every if f["code"] == "PGF303"]
    assert len(boxes) == 27 and len([f for f in memoized if f["code"] == "PGF303"]) == 3, (every, memoized)
    assert {_essence(f) for f in every} == {_essence(f) for f in memoized}
    assert [f for f in memoized if f["code"] != "PGF303"] == [f for f in every if f["code"] != "PGF303"]


def _essence(finding: dict) -> tuple:
    """A finding with the module names of its trail left out: what a left-out instance may differ in."""
    trail = re.sub(r"module\.c\d\.", "module.cN.", finding["message"])
    return finding["code"], finding["path"], finding["line"], finding["column"], trail, json.dumps(finding["fix"])


def test_the_same_value_written_in_two_places_is_judged_and_fixed_in_both(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """Two calls give the same 30 s (below AWS's 60) from two lines: their instances read alike
    but for where the value is written, so both are judged, each with its own fix, as when
    every instance is built; --write fixes both lines in one pass either way."""
    found, trees = {}, {}

    def judge(memoized: bool) -> None:
        root = tmp_path / str(memoized)
        _fan_out(root, 2, 3, value="30")
        found[memoized] = {_essence(f) for f in json.loads(run_cli(["--format", "json", "."], root).stdout)}
        run_cli(["--write", "--unsafe-fixes", "."], root)
        trees[memoized] = (root / "infra" / "main.tf").read_text()

    judge(True)
    unique = iter(range(10**9))
    monkeypatch.setattr(terraform_module, "_instance_key", lambda *args: next(unique))
    judge(False)
    assert found[True] == found[False]
    assert len([f for f in found[True] if f[0] == "PGF303"]) == 2, found[True]
    assert trees[True] == trees[False]
    assert trees[True].count("idle   = 60") == 2, trees[True]


# -- Terraform's JSON syntax: count and for_each as templates --------------------------------


def _json_resources(cases: list[tuple[str, str, bool]]) -> str:
    """The cases as ``*.tf.json`` resources: each expression a template string "${...}"."""
    body = {f"e{i}": {meta: "${" + text + "}"} for i, (meta, text, _) in enumerate(cases)}
    return json.dumps({"resource": {"terraform_data": body}}, indent=2)


def test_count_and_for_each_in_json_are_read_as_in_hcl(tmp_path: Path) -> None:
    """A ``.tf.json`` count is read through its template, variables and locals as a ``.tf``'s is
    (was: a literal only, every template not known); terraform plans the same instances."""
    cases = [case for case in EXPRESSIONS if "\n" not in case[1]]
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "variables.tf").write_text(DECLARATIONS)
    (infra / "main.tf.json").write_text(_json_resources(cases))
    workspace = Workspace(infra)
    documents = [HclDocument(workspace.load(infra / name)) for name in ("main.tf.json", "variables.tf")]
    module = TerraformModule(documents)
    ours = {block.labels[1]: instances(module, documents[0].source, block).count for block in documents[0].blocks}
    native = _ours(DECLARATIONS + _resources(cases))
    assert ours == native
    assert sum(count is not None for count in ours.values()) == sum(known for _, _, known in cases)
    if TERRAFORM is None:
        pytest.skip("terraform is not on PATH")
    plan = _plan(infra, tmp_path)
    assert isinstance(plan, dict), plan.stdout + plan.stderr
    theirs = _instances_planned(plan)
    assert {name: count for name, count in ours.items() if count is not None} == {
        name: theirs.get(f"terraform_data.{name}", 0) for name, count in ours.items() if count is not None
    }


# -- the views: a block terraform never creates is not judged ---------------------------------

NEVER_AND_MAYBE = """\
variable "on" {
  default = false
}

resource "aws_lb" "never" {
  count        = 0
  idle_timeout = 30
}

resource "aws_lb" "maybe" {
  count        = var.on ? 1 : 0
  idle_timeout = 30
}

resource "aws_db_parameter_group" "never" {
  for_each = toset([])
  name     = "app"
  family   = "postgres16"
}
"""


def test_a_block_terraform_never_creates_is_not_judged(tmp_path: Path) -> None:
    """count = 0 or an empty for_each written in the configuration: no load balancer and no server
    to judge (was: PGF301 on aws_lb.never and the parameter group's PGF101-PGF103). A count of 0
    read from a root variable's default stays judged: a var-file may set it (terraform plans
    aws_lb.maybe with on = true)."""
    work = tmp_path / "work" / "infra"
    work.mkdir(parents=True)
    (work / "main.tf").write_text(NEVER_AND_MAYBE)
    outcome = run_cli(["--no-cache", "."], work)
    assert [line.split(" ")[:2] for line in outcome.stdout.splitlines() if "PGF" in line] == [["main.tf:12:3:", "PGF301"]], outcome.stdout
    if TERRAFORM is None:
        pytest.skip("terraform is not on PATH")
    _provider_free(work.parent)
    plans = [_plan(work, tmp_path), _plan(work, tmp_path, "-var=on=true")]
    assert all(isinstance(plan, dict) for plan in plans), plans
    assert [set(_instances_planned(plan)) for plan in plans] == [set(), {"terraform_data.aws_lb__maybe"}]


def test_a_refused_for_each_in_json_is_a_parse_error(tmp_path: Path) -> None:
    body = {"locals": {"names": ["a", "b"]}, "resource": {"terraform_data": {"x": {"for_each": "${local.names}"}}}}
    (tmp_path / "main.tf.json").write_text(json.dumps(body, indent=2) + "\n")
    outcome = run_cli(["--no-cache", "."], tmp_path)
    assert "main.tf.json:11:9: PGF001 for_each is a list or tuple: terraform refuses it (Invalid for_each argument)" in outcome.stdout, outcome.stdout
    if TERRAFORM is not None:
        plan = _plan(tmp_path, tmp_path)
        assert not isinstance(plan, dict) and "Invalid for_each argument" in plan.stdout + plan.stderr


def test_a_chain_of_module_calls_is_built_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A chain of calls n deep is one group from the start (the reader's ``linked`` hook): the
    modules built grow linearly with n (they grew as n ** 2 when each directory was built on its
    own before the reads joined them), and the findings are those of the late join."""
    import pgconf_fix.layers.terraform as reader

    built = _built(monkeypatch)
    counts, outputs = {}, {}
    for depth in (10, 20, 30):
        root = tmp_path / str(depth)
        _fan_out(root, 1, depth, value="30")
        built[0] = 0
        outputs[depth] = run_cli(["--no-cache", "--format", "json", "."], root).stdout
        counts[depth] = built[0]
    assert counts[30] - counts[20] == counts[20] - counts[10], counts
    monkeypatch.delattr(reader, "linked")
    built[0] = 0
    assert run_cli(["--no-cache", "--format", "json", "."], tmp_path / "30").stdout == outputs[30]
    assert built[0] > 2 * counts[30], (built[0], counts[30])  # each directory first built alone


def test_an_azure_configuration_terraform_never_creates_is_left_out_alone(tmp_path: Path) -> None:
    """The server's configurations are one view: the one with count = 0 is no setting, the others
    are still judged (the view is not dropped with it)."""
    server = 'resource "azurerm_postgresql_flexible_server" "main" {\n  name    = "main"\n  version = "14"\n}\n\n'
    configuration = ('resource "azurerm_postgresql_flexible_server_configuration" "{label}" {{\n{count}'
                     '  name      = "{name}"\n  server_id = azurerm_postgresql_flexible_server.main.id\n'
                     '  value     = "{value}"\n}}\n\n')  # fmt: skip
    (tmp_path / "postgres.tf").write_text(
        server
        + configuration.format(label="off", count="  count     = 0\n", name="tcp_keepalives_idle", value="7200")
        + configuration.format(label="on", count="", name="tcp_keepalives_count", value="0")
    )
    outcome = run_cli(["--no-cache", "."], tmp_path)
    found = [line.split(" ")[:2] for line in outcome.stdout.splitlines() if "PGF" in line]
    assert found == [["postgres.tf:16:3:", "PGF103"]], outcome.stdout  # no PGF101 for the 7200 of "off"
