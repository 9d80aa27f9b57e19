"""Terraform strings as pgconf_fix.documents.hcl_strings reads and writes them, held to what
Terraform itself makes of them.

``DECODED`` holds Terraform 1.11.4's answers (``terraform output -json`` of a module whose
outputs are the literals, run offline); ``test_terraform_decodes_as_we_do`` asks the terraform
on PATH again, for the table, for generated literals and for every string of the fixture the
fixes wrote, and skips without one (.ci/run installs it).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from pgconf_fix.documents.hcl_strings import encode_literal, hcl_carriers
from pgconf_fix.source import SourceFile

FIXTURE = Path(__file__).parent / "fixtures/terraform/connection-strings-in-strings/after/main.tf"

# (the literal as a .tf file writes it, what Terraform makes of it)
DECODED = [
    (r'"postgresql://app@db.example.com/app"', "postgresql://app@db.example.com/app"),
    (r'"a\u0026b"', "a&b"),
    (r'"\U0001F600 \t\n\r\"\\"', "\U0001f600 \t\n\r\"\\"),
    (r'"$${lit} %%{lit} $ % {x}"', "${lit} %{lit} $ % {x}"),
    (r'"a$$b%%c"', "a$$b%%c"),
    (r'"$$$${x}"', "$$${x}"),
    (r'"%%%{x}"', "%%{x}"),
    (r'"$$x$"', "$$x$"),
    (r'"${"in"}side"', "inside"),
    (r'"${"}"}"', "}"),
    (r'""', ""),
]
# Escapes Terraform refuses ("Invalid escape sequence"): the reader leaves such a file to raw text.
REFUSED = [r'"\q"', r'"\u12"', r'"\uD800"', r'"\U00110000"', '"open']


def _source(text: str, name: str = "main.tf") -> SourceFile:
    return SourceFile.from_bytes(Path("/nowhere") / name, name, text.encode())


def _value(literal: str) -> str:
    """The one carrier of ``x = <literal>``, template sequences evaluated where they are string
    literals (the table's ``${"x"}``) as Terraform would."""
    (carrier,) = hcl_carriers(_source(f"x = {literal}\n"))
    return carrier.value


@pytest.mark.parametrize(("literal", "decoded"), DECODED)
def test_literals_decode_as_terraform_does(literal: str, decoded: str) -> None:
    value = _value(literal)
    if "${" in literal.replace("$${", ""):
        # A template sequence is kept as written (read-only); Terraform's value is the table's.
        assert "${" in value
        return
    assert value == decoded


@pytest.mark.parametrize("literal", REFUSED)
def test_escapes_terraform_refuses_leave_the_file_to_raw_text(literal: str) -> None:
    assert hcl_carriers(_source(f"x = {literal}\n")) is None


def test_comments_and_heredocs() -> None:
    text = (
        '# x = "postgresql://a@commented.example.com/db"\n'
        '// "no"\n'
        '/* "nor" */ y = "yes"\n'
        "z = <<-EOT\n    host=h.example.com dbname=d\n  EOT\n"
        'w = "${lookup(var.m, "k}")}tail"\n'
    )
    carriers = hcl_carriers(_source(text))
    assert [c.value for c in carriers] == ["yes", "    host=h.example.com dbname=d\n", '${lookup(var.m, "k}")}tail']
    heredoc, template = carriers[1], carriers[2]
    assert heredoc.encode is None and heredoc.edit(0, 0, "x") is None  # read-only
    assert template.edit(2, 2, "x") is None  # inside the interpolation: no edit
    edit = template.edit(len(template.value), len(template.value), "&a=1")
    assert edit is not None and text[: edit.start].endswith('tail') and edit.content == "&a=1"


def test_an_edit_writes_hcl_escapes() -> None:
    text = 'x = "postgresql://h.example.com/db?a=1"\n'
    (carrier,) = hcl_carriers(_source(text))
    edit = carrier.edit(len(carrier.value), len(carrier.value), '&b="${x}%{y}\\\n')
    assert edit is not None
    assert edit.content == '&b=\\"$${x}%%{y}\\\\\\n'


def _generated(count: int, seed: int = 18) -> list[str]:
    """Texts of characters that matter to HCL's quoted templates."""
    pieces = ["$", "%", "{", "}", '"', "\\", "\n", "\t", "\r", "a", "=", "&", "?", "/", "é", "\x01", "\U0001f600"]
    rng = random.Random(seed)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 12))) for _ in range(count)]


def _terraform_outputs(directory: Path, body: str) -> dict:
    """``terraform output -json`` of a module with ``body``, applied offline (outputs only)."""
    (directory / "main.tf").write_text(body)
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    for command in (["init", "-input=false", "-backend=false"], ["apply", "-auto-approve", "-input=false"]):
        done = subprocess.run(["terraform", *command], cwd=directory, env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr
    done = subprocess.run(["terraform", "output", "-json"], cwd=directory, env=env, capture_output=True, text=True, check=True)
    return {name: output["value"] for name, output in json.loads(done.stdout).items()}


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed (.ci/run installs it)")
def test_terraform_decodes_as_we_do(tmp_path: Path) -> None:
    written = [literal for literal, _ in DECODED]
    generated = _generated(300)
    written += ['"' + encode_literal(text) + '"' for text in generated]
    fixture = FIXTURE.read_text()
    quoted = [c for c in hcl_carriers(_source(fixture)) if c.encode is not None or c.parts]
    # The fixture's strings as written; its one variable gets a value to interpolate.
    written += [fixture[c.offsets[0] - 1 : c.offsets[-1] + 1] for c in quoted]
    body = 'variable "db_password" {\n  default = "pw"\n}\n'
    body += "".join(f"output \"o{index}\" {{\n  value = {literal}\n}}\n" for index, literal in enumerate(written))
    outputs = _terraform_outputs(tmp_path, body)
    got = [outputs[f"o{index}"] for index in range(len(written))]

    table = len(DECODED)
    assert got[:table] == [decoded for _, decoded in DECODED]
    assert got[table : table + len(generated)] == generated  # encode_literal writes what Terraform reads back
    for carrier, value in zip(quoted, got[table + len(generated) :]):
        assert carrier.value.replace("${var.db_password}", "pw") == value
    assert any("keepalives_idle=60" in value for value in got[table + len(generated) :])


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed (.ci/run installs it)")
@pytest.mark.parametrize("literal", REFUSED[:-1])
def test_terraform_refuses_what_we_leave(tmp_path: Path, literal: str) -> None:
    (tmp_path / "main.tf").write_text(f'output "o" {{\n  value = {literal}\n}}\n')
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "CHECKPOINT_DISABLE": "1"}
    done = subprocess.run(["terraform", "validate", "-no-color"], cwd=tmp_path, env=env, capture_output=True, text=True, check=False)
    assert done.returncode != 0 and "escape" in done.stderr.lower(), done.stderr


@pytest.mark.parametrize("name", ["main.tf", "terraform.tfvars", "terragrunt.hcl"])
def test_hcl_files_are_read_as_hcl(name: str) -> None:
    from pgconf_fix.documents.carriers import carriers_of

    text = '# url = "postgresql://old@db.example.com/app"\nurl = "postgresql://app@db.example.com/app?sslmode=require\\u0026connect_timeout=5"\n'
    values = [carrier.value for carrier in carriers_of(_source(text, name))]
    assert values == ["postgresql://app@db.example.com/app?sslmode=require&connect_timeout=5"]


REFUSED_ESCAPE_MODULE = (
    "locals {\n"
    '  weird = "a\\qb"\n'
    '  db    = "postgresql://u@db.example.com/d"\n'
    "  task  = <<EOF\n"
    '[{"name": "DATABASE_URL", "value": "postgresql://u@db3.example.com/d"}]\n'
    "EOF\n"
    "}\n"
)


REFUSED_VARIABLES = REFUSED_ESCAPE_MODULE.replace("locals {\n", "").replace("}\n", "")


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [("main.tf", REFUSED_ESCAPE_MODULE, 2), ("terraform.tfvars", REFUSED_VARIABLES, 1), ("prod.tfvars", REFUSED_VARIABLES, 1)],
)
def test_an_escape_terraform_refuses_is_a_parse_error(tmp_path: Path, name: str, text: str, line: int) -> None:
    """python-hcl2 takes ``"\\q"``; Terraform refuses the file, a module's or a variable file's
    (test_terraform_refuses_what_we_leave, test_terraform_refuses_the_variable_file). The file is
    PGF001 where the escape is and nothing else (its connection strings reach nothing), and
    nothing in it (a heredoc least of all) is written."""
    from tests.cli_runner import run_cli, tree

    (tmp_path / name).write_text(text)
    before = tree(tmp_path)
    outcome = run_cli(["--no-cache", "--format", "json", "--unsafe-fixes", "."], tmp_path)
    findings = json.loads(outcome.stdout)
    assert [(f["code"], f["line"]) for f in findings] == [("PGF001", line)], findings
    assert "escape" in findings[0]["message"]
    run_cli(["--no-cache", "--write", "--unsafe-fixes", "."], tmp_path)
    assert tree(tmp_path) == before


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed (.ci/run installs it)")
def test_terraform_refuses_the_variable_file(tmp_path: Path) -> None:
    """``terraform plan -var-file`` of a module that declares the file's variables stops at the
    escape (offline: the module has outputs only); the same file without it plans."""
    names = ("weird", "db", "task")
    (tmp_path / "main.tf").write_text("".join(f'variable "{n}" {{\n  type = string\n}}\noutput "{n}" {{\n  value = var.{n}\n}}\n' for n in names))
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "CHECKPOINT_DISABLE": "1"}
    for name, flags in (("prod.tfvars", ["-var-file=prod.tfvars"]), ("terraform.tfvars", [])):  # named, auto-loaded
        for text, refused in ((REFUSED_VARIABLES, True), (REFUSED_VARIABLES.replace("\\q", "q"), False)):
            (tmp_path / name).write_text(text)
            done = subprocess.run(["terraform", "plan", "-no-color", "-input=false", *flags], cwd=tmp_path,
                                  env=env, capture_output=True, text=True, check=False)
            assert (done.returncode != 0 and "Invalid escape sequence" in done.stderr) == refused, done.stderr
        (tmp_path / name).unlink()


@pytest.mark.parametrize("holds_connection", [True, False])
def test_an_auto_loaded_variable_file_terraform_refuses_is_reported_once(tmp_path: Path, holds_connection: bool) -> None:
    """``terraform.tfvars`` gives the module beside it its values, and terraform stops at it:
    PGF001 whether or not it holds a connection string (the Terraform reader reads it for the
    module; the client reader claims it when it holds one), once, also when only the ``.tf``
    file is named."""
    from tests.cli_runner import run_cli

    (tmp_path / "main.tf").write_text('variable "weird" {\n  type = string\n}\n')
    text = 'weird = "a\\qb"\n' + ('db = "postgresql://u@db.example.com/d"\n' if holds_connection else "")
    (tmp_path / "terraform.tfvars").write_text(text)
    for args in (["."], ["main.tf"]):
        outcome = run_cli(["--no-cache", "--format", "json", *args], tmp_path)
        findings = json.loads(outcome.stdout)
        assert [(f["code"], f["path"], f["line"]) for f in findings] == [("PGF001", "terraform.tfvars", 1)], findings


def test_a_terragrunt_file_outside_the_reader_is_read_not_written(tmp_path: Path) -> None:
    """A Terragrunt configuration whose strings this reader cannot follow (here an escape
    Terraform refuses) is read as raw text, and no fix is written into it: raw text has no way
    to tell a heredoc's body or a string's escapes from the bytes around them. (Not PGF001:
    ``.hcl`` files are also HCL 1 configurations, whose rules were not checked.)"""
    from tests.cli_runner import run_cli, tree

    (tmp_path / "terragrunt.hcl").write_text(REFUSED_VARIABLES)
    before = tree(tmp_path)
    outcome = run_cli(["--no-cache", "--format", "json", "--unsafe-fixes", "."], tmp_path)
    findings = json.loads(outcome.stdout)
    assert {f["code"] for f in findings} == {"PGF401", "PGF404"}, findings
    assert all(f["fix"] is None for f in findings)
    run_cli(["--no-cache", "--write", "--unsafe-fixes", "."], tmp_path)
    assert tree(tmp_path) == before


def test_a_heredoc_ends_outside_its_template_sequences() -> None:
    """A ``${ ... }`` of a heredoc may run on over lines, one of them the heredoc's marker
    (here a heredoc nested in it, whose body is the line ``EOF``): that line closes nothing.
    Terraform 1.11.4 makes ``EOF\\n\\n`` of this output's value and ``"a\\q"`` is inner heredoc
    text, no string; it was read as a string (and the file refused) when the outer heredoc ended
    at the first ``EOF``."""
    text = 'x = <<EOF\n${ <<EOT\nEOF\n"postgresql://u@db.example.com/d\\q"\nEOT\n}\nEOF\ny = "after"\n'
    carriers = hcl_carriers(_source(text))
    assert carriers is not None
    assert [c.value for c in carriers] == [text[10 : text.index("EOF\ny")], "after"]
    assert carriers[0].encode is None
    assert carriers[1].edit(0, 0, "x") is not None
