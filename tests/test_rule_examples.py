"""Every rule's documented [example] is a test case: before -> findings -> after.

The example is written to a file the rule's layer reads (``[example] file``, else a default
per layer) after ``[example] context`` (lines the snippet needs to be complete, such as an
import; not shown in the docs). The ``before`` text must give a finding of the rule; when that
finding carries a fix, ``--write --unsafe-fixes --select CODE`` must turn it into ``after``
exactly; ``after`` must give no finding of the rule. An example whose ``before`` and ``after``
are the same documents a case the rule does not report: it must give no finding.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pgconf_fix.catalog import load_catalog
from tests.cli_runner import run_cli

FILE_FOR_LAYER = {
    "server": "postgresql.conf",
    "any": "postgresql.conf",
    "kernel": "sysctl.conf",
    "network": "main.tf",
    "client": ".env",
    "pool": "settings.py",
    "pgbouncer": "pgbouncer.ini",
}
# PGF000's and PGF004's examples are transcripts of the command (an input error; a file the
# running Python cannot read, tests/test_python_newer_syntax.py), not a file's text.
RULES = [rule for rule in load_catalog().values() if rule.example_before and rule.kind not in ("input-error", "not-checked")]


def _findings(work: Path, name: str, code: str) -> list[dict]:
    outcome = run_cli(["--format", "json", "--extend-select", code, name], work)
    return [item for item in json.loads(outcome.stdout) if item["code"] == code]


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_documented_example(rule, tmp_path: Path) -> None:  # noqa: ANN001 - a Rule
    name = rule.example_file or FILE_FOR_LAYER[rule.layer]
    context = rule.example_context
    target = tmp_path / name
    target.write_text(context + rule.example_before)

    found = _findings(tmp_path, name, rule.code)
    if rule.example_before == rule.example_after:
        # A box that is only a source of the idle budget (PGF304, the AWS NAT gateway: its
        # 350 s cannot be changed): the example shows it, and nothing is reported or changed.
        assert found == [], f"{rule.code}: an example with before == after must give no finding"
        return
    assert found, f"{rule.code}: the documented 'before' gives no finding"
    if any(item["fix"] is not None for item in found):
        run_cli(["--write", "--unsafe-fixes", "--select", rule.code, name], tmp_path)
        assert target.read_text() == context + rule.example_after

    target.write_text(context + rule.example_after)
    assert _findings(tmp_path, name, rule.code) == [], f"{rule.code}: the documented 'after' still gives a finding"
