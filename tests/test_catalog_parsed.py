"""The built-in rules' TOML parsed ahead of time (rules/parsed.json, pgconf_fix.catalog, issue 18):
the rules it gives are the rules a fresh parse gives, field for field and type for type; it is
used only while it is the parse of the TOML files beside it, so an edited rule, or a damaged or
missing parse, is parsed afresh; a run whose rules come from it never imports tomllib."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from pgconf_fix import catalog

ROOT = Path(__file__).resolve().parent.parent


def _fresh(directory: Path) -> tuple[catalog.Rule, ...]:
    return catalog._load_dir(directory, True)


def _same(found: tuple[catalog.Rule, ...] | None, expected: tuple[catalog.Rule, ...]) -> None:
    assert found == expected
    # repr tells 1 from 1.0 and True, a list from a tuple, a str from a Path, and the order of a
    # table's keys: equality does not.
    assert [repr(rule) for rule in found] == [repr(rule) for rule in expected]


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    copy = tmp_path / "rules"
    shutil.copytree(catalog.builtin_rules_dir(), copy)
    return copy


def test_the_shipped_parse_gives_the_rules_a_fresh_parse_gives() -> None:
    directory = catalog.builtin_rules_dir()
    expected = _fresh(directory)
    assert len(expected) >= 30
    _same(catalog._shipped_rules(directory), expected)


def test_an_edited_rule_is_parsed_again(rules: Path) -> None:
    edited = rules / "PGF101.toml"
    edited.write_text(edited.read_text().replace("target = 60", "target = 45"))
    assert catalog._shipped_rules(rules) is None
    assert {rule.code: rule for rule in _fresh(rules)}["PGF101"].parameters["target"] == 45
    # Written again (python -m pgconf_fix.docs), it is the parse of the edited file.
    (rules / catalog.PARSED_NAME).write_text(catalog.parsed_rules(rules), encoding="utf-8")
    _same(catalog._shipped_rules(rules), _fresh(rules))


def test_a_rule_file_added_or_removed_is_parsed_again(rules: Path) -> None:
    shutil.copy(rules / "PGF101.toml", rules / "PGF999.toml")
    assert catalog._shipped_rules(rules) is None
    (rules / "PGF999.toml").unlink()
    (rules / "PGF102.toml").unlink()
    assert catalog._shipped_rules(rules) is None


@pytest.mark.parametrize("damage", [b"{not json", b"[]", b'{"digest": 1}', b"", b'{"digest": "x", "rules": []}'])
def test_a_damaged_or_missing_parse_is_parsed_afresh(rules: Path, damage: bytes) -> None:
    (rules / catalog.PARSED_NAME).write_bytes(damage)
    assert catalog._shipped_rules(rules) is None
    (rules / catalog.PARSED_NAME).unlink()
    assert catalog._shipped_rules(rules) is None


def test_a_parse_whose_table_was_altered_is_still_validated(rules: Path) -> None:
    """The digest covers the TOML files, not the JSON: a table edited in the JSON alone would be
    used, so each is validated by the same code as a parsed file (an invalid one is not used)."""
    import json

    document = json.loads((rules / catalog.PARSED_NAME).read_text())
    document["rules"]["PGF101.toml"]["severity"] = "fatal"
    (rules / catalog.PARSED_NAME).write_text(json.dumps(document))
    assert catalog._shipped_rules(rules) is None


def test_an_invalid_rule_raises_what_a_parse_raises(rules: Path) -> None:
    (rules / "PGF101.toml").write_text('code = "PGF101"\nname = [\n')
    assert catalog._shipped_rules(rules) is None  # _load_dir then raises
    with pytest.raises(catalog.CatalogError, match="PGF101.toml:3:1: invalid TOML"):
        _fresh(rules)
    with pytest.raises(catalog.CatalogError, match="PGF101.toml:3:1: invalid TOML"):
        catalog.parsed_rules(rules)


def test_a_toml_date_cannot_be_kept(rules: Path) -> None:
    rule = rules / "PGF101.toml"
    rule.write_text(rule.read_text().replace("[check]", "reviewed = 2026-12-01\n\n[check]", 1))
    with pytest.raises(catalog.CatalogError, match="a TOML date or time"):
        catalog.parsed_rules(rules)


@pytest.mark.parametrize("flags", [[], ["--no-cache"]])
def test_a_run_never_imports_tomllib(tmp_path: Path, flags: list[str]) -> None:
    (tmp_path / "postgresql.conf").write_text("tcp_keepalives_idle = 600\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PGCONF_FIX_CACHE_DIR": str(tmp_path / "cache"), "NO_COLOR": "1"}
    probe = ("import sys\nfrom pgconf_fix.cli import main\ntry:\n    main(sys.argv[1:], cache=True)\n"
             "except SystemExit:\n    pass\nprint('tomllib' in sys.modules, file=sys.stderr)\n")
    found = subprocess.run([sys.executable, "-c", probe, "--exit-zero", *flags, "postgresql.conf"], cwd=tmp_path,
                           env=env, capture_output=True, text=True, check=True)
    assert "PGF101" in found.stdout
    assert found.stderr.strip().splitlines()[-1] == "False"
