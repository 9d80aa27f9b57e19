"""The Terraform layer beyond the fixture cases: patched files parse and re-check clean,
the terraform fmt alignment rules, and ``terraform fmt -check`` where the binary exists."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest

from pgconf_fix.documents.hcl import HclDocument, comment_gaps, equals_gaps, insert_attribute
from pgconf_fix.edits import apply_edits
from pgconf_fix.source import SourceFile
from tests.cli_runner import run_cli

FIXTURES = Path(__file__).parent / "fixtures" / "terraform"
PATCHED = sorted(path.parent for path in FIXTURES.glob("*/after"))
TERRAFORM = shutil.which("terraform")


def case_id(case: Path) -> str:
    return case.name


def tf_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.tf"))


@pytest.mark.parametrize("case", PATCHED, ids=case_id)
def test_patched_files_parse_with_python_hcl2(case: Path) -> None:
    for path in tf_files(case / "after"):
        hcl2.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", PATCHED, ids=case_id)
def test_patched_fixture_rechecks_clean(case: Path, tmp_path: Path) -> None:
    work = tmp_path / "work"
    shutil.copytree(case / "after", work)
    outcome = run_cli(["--format", "json", "--select", "PGF301,PGF302", "."], work)
    left = json.loads(outcome.stdout)
    # Only what never had a safe fix may be left: a value that needs a plan, or an unsafe fix
    # (--write applies safe ones only).
    assert all(
        (item["fix"] is None and "without a plan" in item["message"])
        or (item["fix"] is not None and item["fix"]["applicability"] == "unsafe")
        for item in left
    ), left


def _fmt_clean(path: Path) -> bool:
    assert TERRAFORM is not None
    done = subprocess.run(
        [TERRAFORM, "fmt", "-check", "-list=false", path.name],
        cwd=path.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0


@pytest.mark.parametrize("case", PATCHED, ids=case_id)
def test_fmt_clean_files_stay_fmt_clean(case: Path) -> None:
    if TERRAFORM is None:
        pytest.skip("terraform is not on PATH: terraform fmt -check not run (the alignment unit tests still ran)")
    checked = 0
    for before in tf_files(case / "before"):
        after = case / "after" / before.relative_to(case / "before")
        if not after.exists() or after.read_bytes() == before.read_bytes() or not _fmt_clean(before):
            continue
        assert _fmt_clean(after), f"{after} was fmt-clean before the fix and is not after"
        checked += 1
    if not checked:
        pytest.skip(f"{case.name}: no changed file was fmt-clean before")


# --- the alignment rules, without terraform -------------------------------------------------


def test_equals_gaps_align_one_column_after_the_widest_name() -> None:
    assert equals_gaps([6, 10, 8]) == [5, 1, 3]
    assert equals_gaps([4]) == [1]


def test_comment_gaps_align_each_unbroken_chain() -> None:
    assert comment_gaps([10, 14, None, 5, 7]) == [5, 1, None, 3, 1]
    assert comment_gaps([None, None]) == [None, None]


def _insert(text: str, name: str = "idle_timeout", value: str = "4000") -> str:
    source = SourceFile.from_bytes(Path("main.tf"), "main.tf", text.encode())
    block = HclDocument(source).blocks[0]
    patched, dropped = apply_edits(text, insert_attribute(source, block, name, value))
    assert not dropped
    return patched


def test_insert_widens_the_run_it_joins() -> None:
    before = 'resource "aws_lb" "a" {\n  name = "a"\n  internal = true\n}\n'
    # An unaligned run gets aligned as a whole: fmt would align it with the new line anyway.
    assert _insert(before) == (
        'resource "aws_lb" "a" {\n  name         = "a"\n  internal     = true\n  idle_timeout = 4000\n}\n'
    )


def test_insert_keeps_a_wider_run_as_it_is() -> None:
    before = 'resource "aws_lb" "a" {\n  load_balancer_type = "application"\n  name               = "a"\n}\n'
    assert _insert(before) == (
        'resource "aws_lb" "a" {\n  load_balancer_type = "application"\n'
        '  name               = "a"\n  idle_timeout       = 4000\n}\n'
    )


def test_insert_realigns_trailing_line_comments_of_the_run() -> None:
    before = 'resource "aws_lb" "a" {\n  name = "a" # short\n  subnets = [] // list\n}\n'
    assert _insert(before) == (
        'resource "aws_lb" "a" {\n  name         = "a" # short\n  subnets      = []  // list\n'
        "  idle_timeout = 4000\n}\n"
    )


def test_insert_skips_meta_arguments_and_nested_blocks() -> None:
    before = 'resource "aws_lb" "a" {\n  count = 2\n\n  name = "a"\n\n  access_logs {\n    bucket = "b"\n  }\n}\n'
    assert _insert(before) == (
        'resource "aws_lb" "a" {\n  count = 2\n\n  name         = "a"\n  idle_timeout = 4000\n\n'
        '  access_logs {\n    bucket = "b"\n  }\n}\n'
    )


def test_insert_after_meta_arguments_alone_keeps_a_blank_line() -> None:
    before = 'resource "aws_lb" "a" {\n  count = 2\n}\n'
    assert _insert(before) == 'resource "aws_lb" "a" {\n  count = 2\n\n  idle_timeout = 4000\n}\n'


def test_insert_into_an_empty_block_and_a_nested_one() -> None:
    assert _insert('resource "aws_lb" "a" {}\n') == 'resource "aws_lb" "a" {\n  idle_timeout = 4000\n}\n'
    assert _insert('  resource "aws_lb" "a" {\n  }\n') == '  resource "aws_lb" "a" {\n    idle_timeout = 4000\n  }\n'


def test_insert_keeps_crlf() -> None:
    before = 'resource "aws_lb" "a" {\r\n  name = "a"\r\n}\r\n'
    assert _insert(before) == 'resource "aws_lb" "a" {\r\n  name         = "a"\r\n  idle_timeout = 4000\r\n}\r\n'


def test_heredoc_opening_line_belongs_to_the_run() -> None:
    before = 'resource "aws_lb" "a" {\n  name = "a"\n  policy = <<EOF\n{}\nEOF\n}\n'
    assert _insert(before) == (
        'resource "aws_lb" "a" {\n  name         = "a"\n  idle_timeout = 4000\n  policy       = <<EOF\n{}\nEOF\n}\n'
    )


@pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH")
@pytest.mark.parametrize(
    "text",
    [
        'resource "aws_lb" "a" {\n  name = "a" # short\n  subnets = [] // list\n}\n',
        'resource "aws_lb" "a" {\n  count = 2\n}\n',
        'resource "aws_lb" "a" {\n  name = "a"\n  policy = <<EOF\n{}\nEOF\n}\n',
        'resource "aws_lb" "a" {}\n',
    ],
)
def test_inserted_text_is_what_terraform_fmt_writes(text: str, tmp_path: Path) -> None:
    path = tmp_path / "main.tf"
    path.write_text(_insert(text))
    assert _fmt_clean(path), path.read_text()


def test_a_fix_written_at_a_variable_other_places_read_is_unsafe(tmp_path: Path) -> None:
    # The default of var.idle_seconds also sets an alarm's period, and local.lb_idle a target
    # group's deregistration_delay (4000 is above its 3600 limit): --write leaves both alone.
    work = tmp_path / "work"
    shutil.copytree(FIXTURES / "shared-variable-default-unsafe" / "before", work)
    report = json.loads(run_cli(["--format", "json", "."], work).stdout)
    fixes = {finding["code"]: finding["fix"] for finding in report}
    assert fixes["PGF101"]["applicability"] == "unsafe"
    assert "var.idle_seconds, which the module reads 2 times" in fixes["PGF101"]["message"]
    assert fixes["PGF301"]["applicability"] == "unsafe"
    # PGF301 writes its own fix message: it says why the fix is unsafe all the same
    assert fixes["PGF301"]["message"].endswith("(at local.lb_idle, which the module reads 2 times)"), fixes["PGF301"]
    before = (work / "main.tf").read_text()
    run_cli(["--write", "."], work)
    assert (work / "main.tf").read_text() == before
    run_cli(["--write", "--unsafe-fixes", "."], work)
    after = (work / "main.tf").read_text()
    assert "  default = 60\n" in after and "  lb_idle = 4000\n" in after
    hcl2.loads(after)
    # Read once, the same variable is still a safe place to write.
    alone = before.replace("  period      = var.idle_seconds\n", "  period      = 60\n")
    (work / "main.tf").write_text(alone)
    report = json.loads(run_cli(["--format", "json", "--select", "PGF101", "."], work).stdout)
    assert [finding["fix"]["applicability"] for finding in report] == ["safe"]


# -- module calls: the value terraform itself gives each call -----------------------------

MODULE_CALL_CASES = [
    (case, side)
    for case in ("module-call-arguments", "module-call-through-root-tfvars")
    for side in ("before", "after")
]
LOAD_BALANCERS = ("aws_lb", "aws_alb", "aws_elb")


def _provider_free(tree: Path) -> dict[str, str]:
    """Rewrite the copied ``tree`` so that terraform evaluates it without providers: each load
    balancer of a called module becomes an output of its ``idle_timeout`` expression. Returns,
    for each call and load balancer, the console expression -> "module.<call> <type>.<name>"."""
    probes: dict[str, str] = {}
    root = SourceFile.from_bytes(tree / "main.tf", "main.tf", (tree / "main.tf").read_bytes())
    calls = [block for block in HclDocument(root).blocks if block.type == "module"]
    for path in sorted(tree.rglob("*.tf")):
        if path.parent == tree:
            continue
        text = path.read_text(encoding="utf-8")
        document = HclDocument(SourceFile.from_bytes(path, path.name, text.encode()))
        for block in reversed(document.blocks):
            if block.type != "resource" or block.labels[0] not in LOAD_BALANCERS:
                continue
            found = block.attribute("idle_timeout")
            value = text[found.value.start : found.value.end] if found is not None else "null"
            name = f"probe_{block.labels[0]}_{block.labels[1]}"
            text = text[: block.start] + f'output "{name}" {{\n  value = {value}\n}}' + text[block.end :]
            for call in calls:
                probes[f"module.{call.labels[0]}.{name}"] = f"module.{call.labels[0]} {block.labels[0]}.{block.labels[1]}"
        path.write_text(text, encoding="utf-8")
    return probes


@pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH")
@pytest.mark.parametrize(("case", "side"), MODULE_CALL_CASES, ids=[f"{c}/{s}" for c, s in MODULE_CALL_CASES])
def test_a_called_module_gets_the_values_terraform_gives_each_call(case: str, side: str, tmp_path: Path) -> None:
    """Each call of a local module is judged with the value terraform gives it (``terraform
    console`` on a copy whose load balancers are outputs): the call's argument, read through the
    caller's variables and tfvars, else the default; never the called directory's own tfvars."""
    from pgconf_fix.views.network import LoadBalancer, build_network_views
    from pgconf_fix.workspace import Workspace

    tree = FIXTURES / case / side
    workspace = Workspace(tree)
    sources = [workspace.load(path) for path in sorted(tree.rglob("*.tf"))]
    ours = {
        f"{view.module.caller.address} {view.address}": view.resolve("idle_timeout").value
        for view in build_network_views(workspace, sources, None).views
        if isinstance(view, LoadBalancer) and view.module.caller is not None
    }
    work = tmp_path / "work"
    shutil.copytree(tree, work)
    probes = _provider_free(work)
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    init = subprocess.run([TERRAFORM, "init", "-backend=false", "-input=false"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert init.returncode == 0, init.stdout + init.stderr
    theirs = {}
    for expression, label in probes.items():  # one a run: two piped lines printed one value (1.11.4)
        console = subprocess.run([TERRAFORM, "console"], cwd=work, env=env, input=expression + "\n",
                                 capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
        assert console.returncode == 0, console.stderr
        theirs[label] = int(console.stdout.strip())
    assert theirs == ours
    assert len(ours) >= 1


PARAMETER_LISTS = FIXTURES / "rds-module-parameters-from-variables"


@pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH")
@pytest.mark.parametrize("side", ["before", "after"])
def test_a_registry_modules_parameter_list_is_the_one_terraform_gives_each_call(side: str, tmp_path: Path) -> None:
    """``parameters = var.x`` / ``local.x`` in a terraform-aws-modules/rds call: the values read
    are those ``terraform console`` gives the call's argument (the tfvars list over the
    default, the local's list), before and after --write. The console runs on a copy without the
    module blocks (a registry module needs ``terraform init`` with the network)."""
    from pgconf_fix.layers.terraform import build_views
    from pgconf_fix.options import Options
    from pgconf_fix.views.cloud_server import ModuleParameters
    from pgconf_fix.workspace import Workspace

    tree = PARAMETER_LISTS / side
    workspace = Workspace(tree)
    sources = [workspace.load(path) for path in sorted(tree.iterdir()) if path.suffix in (".tf", ".tfvars")]
    ours: dict[str, dict[str, str]] = {}
    for view in build_views(workspace, sources, Options()).views:
        if isinstance(view, ModuleParameters):  # rds-aurora: one view per parameter input
            ours.setdefault(view.block.labels[0], {}).update({a.key: a.value for a in view.assignments})
    work = tmp_path / "work"
    shutil.copytree(tree, work)
    calls = HclDocument(workspace.load(tree / "main.tf")).blocks
    main = (tree / "main.tf").read_text()
    arguments = {}
    for call in calls:  # terraform-aws-modules/rds's parameters, rds-aurora 10's cluster_parameter_group.parameters
        given = call.attribute("parameters") or call.attribute("cluster_parameter_group")
        member = "" if given.name == "parameters" else ".parameters"
        arguments[call.labels[0]] = main[given.value.start : given.value.end] + member
    (work / "main.tf").unlink()
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    theirs = {}
    for call, expression in arguments.items():
        console = subprocess.run([TERRAFORM, "console"], cwd=work, env=env, input=f"jsonencode({expression})\n",
                                 capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
        assert console.returncode == 0, console.stderr
        theirs[call] = {item["name"]: item["value"] for item in json.loads(json.loads(console.stdout))}
    assert ours == theirs
    assert theirs["audit_db"] == {"tcp_keepalives_idle": "900"}  # terraform.tfvars over the default
    assert theirs["orders_db"]["tcp_keepalives_idle"] == ("7200" if side == "before" else "60")
    assert theirs["events_cluster"] == {"tcp_keepalives_interval": "75" if side == "before" else "10"}


DYNAMIC_CASES = {
    "rds-parameter-group-dynamic-blocks": ["module.orders aws_db_parameter_group.this", "module.reports aws_db_parameter_group.this"],
    "rds-parameter-group-dynamic-local": [" aws_db_parameter_group.app", " google_sql_database_instance.app"],
}
DYNAMIC_RESOURCES = ("aws_db_parameter_group", "google_sql_database_instance")


@pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH")
@pytest.mark.parametrize("side", ["before", "after"])
@pytest.mark.parametrize("case", sorted(DYNAMIC_CASES))
def test_a_dynamic_parameter_block_is_read_as_terraform_iterates_it(case: str, side: str, tmp_path: Path) -> None:
    """``dynamic "parameter"`` (and Cloud SQL's ``dynamic "database_flags"``) over a list of
    ``{ name, value }`` objects: the settings each group is read with are the list ``terraform
    console`` evaluates its ``for_each`` to, for
    each call of a local module (the call's argument, else the default) and in the root (a
    local, with an ``iterator``), before and after --write. The console runs on a copy whose
    parameter groups are outputs of their ``for_each`` (no provider is needed)."""
    from pgconf_fix.layers.terraform import build_views
    from pgconf_fix.options import Options
    from pgconf_fix.views.cloud_server import CloudSqlFlags, ParameterGroup
    from pgconf_fix.workspace import Workspace

    tree = FIXTURES / case / side
    workspace = Workspace(tree)
    sources = [workspace.load(path) for path in sorted(tree.rglob("*.tf"))]
    ours = {
        f"{view.module.caller.address if view.module.caller else ''} {view.address}": {a.key: a.value for a in view.assignments}
        for view in build_views(workspace, sources, Options()).views
        if isinstance(view, (ParameterGroup, CloudSqlFlags)) and view.assignments
    }
    assert sorted(ours) == DYNAMIC_CASES[case]
    work = tmp_path / "work"
    shutil.copytree(tree, work)
    root_expressions = {}
    for path in sorted(work.rglob("*.tf")):
        text = path.read_text(encoding="utf-8")
        document = HclDocument(SourceFile.from_bytes(path, path.name, text.encode()))
        for block in reversed(document.blocks):
            if block.type != "resource" or block.labels[0] not in DYNAMIC_RESOURCES:
                continue
            settings = [child for child in block.blocks if child.type == "settings"]  # Cloud SQL's flags
            (dynamic,) = [child for child in (settings[0] if settings else block).blocks if child.type == "dynamic"]
            for_each = dynamic.attribute("for_each")
            expression = text[for_each.value.start : for_each.value.end]
            root_expressions[f"{block.labels[0]}.{block.labels[1]}"] = expression
            probe = f"probe_{block.labels[0]}_{block.labels[1]}"
            text = text[: block.start] + f'output "{probe}" {{\n  value = {expression}\n}}' + text[block.end :]
        path.write_text(text, encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    init = subprocess.run([TERRAFORM, "init", "-backend=false", "-input=false"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert init.returncode == 0, init.stdout + init.stderr
    theirs = {}
    for label in ours:
        call, address = label.split(" ")
        expression = f"{call}.probe_{address.replace('.', '_')}" if call else root_expressions[address]
        console = subprocess.run([TERRAFORM, "console"], cwd=work, env=env, input=f"jsonencode({expression})\n",
                                 capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
        assert console.returncode == 0, console.stderr
        theirs[label] = {item["name"]: item["value"] for item in json.loads(json.loads(console.stdout))}
    assert ours == theirs


@pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH")
@pytest.mark.parametrize("side", ["before", "after"])
def test_azure_configurations_made_for_each_map_entry_are_what_terraform_makes(side: str, tmp_path: Path) -> None:
    """``azurerm_postgresql_flexible_server_configuration`` with ``for_each`` over a map of
    values (``each.key``/``each.value``) or of ``{ name, value }`` objects: the settings read for
    each server are the name/value pairs ``terraform console`` makes of the for_each, before and
    after --write; configurations from a ``for`` expression are not read, and leave nothing
    called missing."""
    from pgconf_fix.layers.terraform import build_views
    from pgconf_fix.options import Options
    from pgconf_fix.views.cloud_server import AzureFlexibleServer
    from pgconf_fix.workspace import Workspace

    tree = FIXTURES / "azure-configuration-for-each" / side
    workspace = Workspace(tree)
    source = workspace.load(tree / "main.tf")
    views = [view for view in build_views(workspace, [source], Options()).views if isinstance(view, AzureFlexibleServer)]
    ours = {view.address: {a.key: a.value for a in view.assignments} for view in views}
    assert {view.address: view.judges_missing for view in views} == {
        "azurerm_postgresql_flexible_server.db": True,
        "azurerm_postgresql_flexible_server.reports": True,
        "azurerm_postgresql_flexible_server.audit": False,
    }
    text = source.text
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    work = tmp_path / "work"
    work.mkdir()
    (work / "main.tf").write_text(text[text.index("variable ") : text.index('resource "azurerm_postgresql_flexible_server_configuration" "this"')]
                                  + text[text.index("locals {") : text.index('resource "azurerm_postgresql_flexible_server_configuration" "reports"')])  # fmt: skip
    theirs = {}
    for block in HclDocument(source).blocks:
        if block.labels[:1] != ("azurerm_postgresql_flexible_server_configuration",) or block.labels[1] == "audit":
            continue
        server = text[block.attribute("server_id").value.start : block.attribute("server_id").value.end].removesuffix(".id")
        for_each = text[block.attribute("for_each").value.start : block.attribute("for_each").value.end]
        pair = "k => v" if "each.key" in text[block.start : block.end] else "v.name => v.value"
        console = subprocess.run([TERRAFORM, "console"], cwd=work, env=env, input=f"jsonencode({{ for k, v in {for_each} : {pair} }})\n",
                                 capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
        assert console.returncode == 0, console.stderr
        theirs[server] = json.loads(json.loads(console.stdout))
    assert {address: values for address, values in ours.items() if values} == theirs
    assert theirs["azurerm_postgresql_flexible_server.reports"]["tcp_keepalives_interval"] == ("75" if side == "before" else "10")


def test_a_parameter_missing_from_a_dynamic_list_is_reported_without_a_block_beside_it(tmp_path: Path) -> None:
    """RDS's default tcp_keepalives_idle (300 s) is above a 200 s budget: a group whose
    parameters come from a dynamic block's list is told so, but no static ``parameter`` block is
    inserted beside the dynamic one (the list may set that name for another call of the module,
    and RDS refuses a parameter given twice); a group of static blocks still gets the block."""
    (tmp_path / "main.tf").write_text(
        'variable "parameters" {\n  default = [{ name = "tcp_keepalives_count", value = "6" }]\n}\n\n'
        'resource "aws_db_parameter_group" "listed" {\n  family = "postgres16"\n\n'
        '  dynamic "parameter" {\n    for_each = var.parameters\n    content {\n'
        "      name  = parameter.value.name\n      value = parameter.value.value\n    }\n  }\n}\n\n"
        'resource "aws_db_parameter_group" "static" {\n  family = "postgres16"\n\n'
        '  parameter {\n    name  = "tcp_keepalives_count"\n    value = "6"\n  }\n}\n'
    )
    found = json.loads(run_cli(["--format", "json", "--idle-budget", "200", "--select", "PGF101", "."], tmp_path).stdout)
    assert [(item["line"], item["fix"] is not None) for item in found] == [(5, False), (17, True)], found
    assert "tcp_keepalives_idle" in found[0]["message"]


@pytest.mark.parametrize(
    ("for_each", "name", "value"),
    [
        ('{ idle = { name = "tcp_keepalives_idle", value = "7200" } }', "each.key", "each.value"),  # objects as values
        ('{ tcp_keepalives_idle = "7200" }', "each.value.name", "each.value.value"),  # values as objects
        ('{ tcp_keepalives_idle = "${var.idle}" }', "each.key", "each.value"),
        ('{ (var.name) = "7200" }', "each.key", "each.value"),
        ("toset([\"tcp_keepalives_idle\"])", "each.key", "each.value"),
    ],
)
def test_an_azure_for_each_of_another_shape_is_not_read(for_each: str, name: str, value: str, tmp_path: Path) -> None:
    """A for_each map whose entries are not what the resource's name and value take apart is
    not read (no traceback; the server's other settings are not called missing)."""
    from pgconf_fix.layers.terraform import build_views
    from pgconf_fix.options import Options
    from pgconf_fix.views.cloud_server import AzureFlexibleServer
    from pgconf_fix.workspace import Workspace

    (tmp_path / "main.tf").write_text(
        'variable "idle" {\n  default = "7200"\n}\n\nvariable "name" {\n  default = "tcp_keepalives_idle"\n}\n\n'
        'resource "azurerm_postgresql_flexible_server_configuration" "this" {\n'
        f"  for_each  = {for_each}\n  name      = {name}\n"
        f"  server_id = azurerm_postgresql_flexible_server.db.id\n  value     = {value}\n}}\n"
    )
    workspace = Workspace(tmp_path)
    (view,) = [v for v in build_views(workspace, [workspace.load(tmp_path / "main.tf")], Options()).views if isinstance(v, AzureFlexibleServer)]
    assert (view.assignments, view.judges_missing) == ([], False)
    outcome = run_cli(["--format", "json", "."], tmp_path)
    assert outcome.code == 0 and json.loads(outcome.stdout) == [], outcome.stderr


@pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH")
@pytest.mark.parametrize("side", ["before", "after"])
def test_a_helm_release_heredoc_is_the_values_file_terraform_hands_helm(side: str, tmp_path: Path) -> None:
    """``helm_release.values = [<<-EOT ... EOT]``: the string ``terraform console`` gives for it
    (in a copy where the release is a local of its ``values``) is YAML whose
    ``primary.extendedConfiguration`` postgres reads with the values judged (7200, then after
    --write 60/10/6); the releases with a ``set`` block or an interpolation are not read."""
    import yaml

    from pgconf_fix.layers.terraform import build_views
    from pgconf_fix.options import Options
    from pgconf_fix.views.embedded import EmbeddedServerConfig
    from pgconf_fix.workspace import Workspace
    from tests.pg_server import require_server

    tree = FIXTURES / "helm-release-bitnami-values" / side
    workspace = Workspace(tree)
    source = workspace.load(tree / "main.tf")
    views = [view for view in build_views(workspace, [source], Options()).views if isinstance(view, EmbeddedServerConfig)]
    assert len(views) == 1  # the "db" release alone
    text = source.text
    (release,) = [block for block in HclDocument(source).blocks if block.labels == ("helm_release", "postgresql")]
    values = release.attribute("values")
    work = tmp_path / "work"
    work.mkdir()
    (work / "main.tf").write_text(f"locals {{\n  probe = {text[values.value.start : values.value.end]}\n}}\n")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1"}
    console = subprocess.run([TERRAFORM, "console"], cwd=work, env=env, input="jsonencode(local.probe[0])\n",
                             capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert console.returncode == 0, console.stderr
    handed = yaml.safe_load(json.loads(json.loads(console.stdout)))
    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "postgresql.conf").write_text(handed["primary"]["extendedConfiguration"])
    server = require_server()
    read = {key: server.config_value(conf, key)[1] for key in ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count")}
    want = {"before": ("7200", "0", "0"), "after": ("60", "10", "6")}[side]
    assert tuple(read.values()) == want
    assert str(views[0].get("tcp_keepalives_idle").value) == want[0]
