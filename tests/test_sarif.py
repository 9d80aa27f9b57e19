"""SARIF for code scanning, validated against the SARIF 2.1.0 JSON schema (tests/schemas/),
and input errors in SARIF and JSON."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import jsonschema
import pytest

from tests.cli_runner import run_cli

SCHEMA = json.loads((Path(__file__).parent / "schemas" / "sarif-2.1.0-rtm.5.json").read_text())
BAD = "#tcp_keepalives_idle = 0\ntcp_keepalives_interval = 75\ntcp_keepalives_count = 6\n"


def _validate(document: dict) -> None:
    jsonschema.validators.validator_for(SCHEMA)(SCHEMA).validate(document)


def _sarif(args: list[str], cwd: Path) -> dict:
    outcome = run_cli(["--format", "sarif", *args], cwd)
    assert outcome.code in (1, 2), outcome.stderr
    document = json.loads(outcome.stdout)
    _validate(document)
    return document


def test_the_schema_rejects_what_it_should() -> None:
    """The validator is really at work: a result without a message is refused."""
    document = {"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"ruleId": "X"}]}]}
    with pytest.raises(jsonschema.ValidationError):
        _validate(document)


def test_sarif_is_valid_with_base_ids_encoded_uris_and_fingerprints(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    strange = repo / "db dir" / "ünï#1"
    strange.mkdir(parents=True)
    (strange / "postgresql.conf").write_text(BAD)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    document = _sarif(["."], repo / "db dir")
    run = document["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.as_uri() + "/"
    uris = {result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for result in run["results"]}
    assert uris == {"db%20dir/%C3%BCn%C3%AF%231/postgresql.conf"}
    for result in run["results"]:
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert set(result["partialFingerprints"]) == {"pgconfFixSetting/v1"}
    assert run["invocations"][0]["toolExecutionNotifications"] == []


def test_fingerprints_survive_lines_moving_and_values_changing(tmp_path: Path) -> None:
    (tmp_path / "postgresql.conf").write_text(BAD)
    before = {r["ruleId"]: r["partialFingerprints"] for r in _sarif(["."], tmp_path)["runs"][0]["results"]}
    (tmp_path / "postgresql.conf").write_text("# a header\n\nshared_buffers = 128MB\n" + BAD.replace("75", "80"))
    after = {r["ruleId"]: r["partialFingerprints"] for r in _sarif(["."], tmp_path)["runs"][0]["results"]}
    assert before == after and len(before) == 2
    assert len({str(value) for value in before.values()}) == 2


def test_input_errors_are_notifications_in_sarif_and_pgf000_in_json(tmp_path: Path) -> None:
    (tmp_path / "postgresql.conf").write_text(BAD)
    document = _sarif(["postgresql.conf", "missing dir/x.conf"], tmp_path)
    notes = document["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert len(notes) == 1 and notes[0]["level"] == "error"
    assert notes[0]["message"]["text"] == "missing dir/x.conf: no such file or directory"
    assert notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "missing%20dir/x.conf"
    outcome = run_cli(["--format", "json", "postgresql.conf", "missing dir/x.conf"], tmp_path)
    assert outcome.code == 2
    items = json.loads(outcome.stdout)
    assert isinstance(items, list)
    errors = [item for item in items if item["code"] == "PGF000"]
    assert errors == [{
        "code": "PGF000", "name": "input-error", "severity": "error",
        "message": "no such file or directory", "path": "missing dir/x.conf", "line": 1, "column": 1,
        "end_line": 1, "end_column": 1, "url": errors[0]["url"], "fix": None,
    }]
    assert {item["code"] for item in items} == {"PGF000", "PGF101", "PGF102"}
    # The same keys, with the same types, as every finding.
    finding = next(item for item in items if item["code"] == "PGF101")
    assert {k: type(v) for k, v in errors[0].items() if k != "fix"} == {
        k: type(v) for k, v in finding.items() if k != "fix"}


def test_input_errors_are_error_annotations_in_github_format(tmp_path: Path) -> None:
    (tmp_path / "postgresql.conf").write_text(BAD)
    outcome = run_cli(["--format", "github", "postgresql.conf", "missing, dir/x.conf"], tmp_path)
    assert outcome.code == 2
    errors = [line for line in outcome.stdout.splitlines() if line.startswith("::error ")]
    assert errors == ["::error file=missing%2C dir/x.conf,title=pgconf-fix (PGF000 input-error)::no such file or directory"]
    assert "All checks passed" not in outcome.stdout
