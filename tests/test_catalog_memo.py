"""The built-in rules' parsed TOML kept in the cache directory between runs
(pgconf_fix.catalog, issue 18): the rules it gives are the rules a fresh parse gives, field
for field and type for type; a changed or damaged memo is parsed afresh; only a run that uses
the result cache keeps or reads it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pgconf_fix import catalog
from pgconf_fix.cache import ENVIRONMENT_VARIABLE

ROOT = Path(__file__).resolve().parent.parent


def _fresh(directory: Path) -> tuple[catalog.Rule, ...]:
    return catalog._load_dir(directory, True)


def _same(found: tuple[catalog.Rule, ...], expected: tuple[catalog.Rule, ...]) -> None:
    assert found == expected
    # repr tells 1 from 1.0 and True, a list from a tuple, a str from a Path: equality does not.
    assert [repr(rule) for rule in found] == [repr(rule) for rule in expected]


def _no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(text: str) -> dict:
        raise AssertionError("the memo was there: no rule should be parsed")

    monkeypatch.setattr(tomllib, "loads", refuse)


def test_rules_from_the_memo_are_the_rules_parsed_afresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = catalog.builtin_rules_dir()
    expected = _fresh(directory)
    assert len(expected) >= 30
    _same(catalog._remembered_rules(directory, tmp_path), expected)  # parsed, and kept
    (memo,) = (tmp_path / catalog.MEMO_NAME).glob("*.json")
    assert (tmp_path / catalog.MEMO_NAME / "CACHEDIR.TAG").exists()
    _no_parse(monkeypatch)
    _same(catalog._remembered_rules(directory, tmp_path), expected)  # read back from the memo
    assert memo.exists()


def test_a_changed_rule_is_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(catalog.builtin_rules_dir(), rules)
    catalog._remembered_rules(rules, tmp_path / "cache")
    edited = rules / "PGF101.toml"
    edited.write_text(edited.read_text().replace('target = 60', 'target = 45'))
    found = catalog._remembered_rules(rules, tmp_path / "cache")
    _same(found, _fresh(rules))
    assert {rule.code: rule for rule in found}["PGF101"].parameters["target"] == 45
    assert len(list((tmp_path / "cache" / catalog.MEMO_NAME).glob("*.json"))) == 2


def test_a_damaged_memo_is_parsed_afresh(tmp_path: Path) -> None:
    directory = catalog.builtin_rules_dir()
    catalog._remembered_rules(directory, tmp_path)
    (memo,) = (tmp_path / catalog.MEMO_NAME).glob("*.json")
    for damage in (b"{not json", b"[]", b'{"code": "PGF101"}', b""):
        memo.write_bytes(damage)
        _same(catalog._remembered_rules(directory, tmp_path), _fresh(directory))


def test_an_invalid_rule_raises_what_a_parse_raises(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(catalog.builtin_rules_dir(), rules)
    (rules / "PGF101.toml").write_text('code = "PGF101"\nname = [\n')
    assert catalog._remembered_rules(rules, tmp_path / "cache") is None  # _load_dir then raises
    with pytest.raises(catalog.CatalogError, match="PGF101.toml: invalid TOML"):
        _fresh(rules)


def test_only_a_run_with_the_cache_keeps_and_reads_the_memo(tmp_path: Path) -> None:
    conf = tmp_path / "postgresql.conf"
    conf.write_text("tcp_keepalives_idle = 600\n")
    cache = tmp_path / "cache"
    env = {**os.environ, "PYTHONPATH": str(ROOT), ENVIRONMENT_VARIABLE: str(cache), "NO_COLOR": "1"}
    command = [sys.executable, "-m", "pgconf_fix", "--exit-zero", "postgresql.conf"]
    uncached = subprocess.run([*command, "--no-cache"], cwd=tmp_path, env=env, capture_output=True, check=True)
    assert not cache.exists()
    first = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, check=True)
    assert list((cache / catalog.MEMO_NAME).glob("*.json"))
    conf.write_text("tcp_keepalives_idle = 900\n")  # a changed file: the result cache misses
    probe = ("import sys\nfrom pgconf_fix.cli import main\ntry:\n    main(sys.argv[1:], cache=True)\n"
             "except SystemExit:\n    pass\nprint('tomllib' in sys.modules, file=sys.stderr)\n")
    second = subprocess.run([sys.executable, "-c", probe, "--exit-zero", "postgresql.conf"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, check=True)
    assert second.stderr.strip().splitlines()[-1] == "False"  # the rules came from the memo
    assert b"PGF101" in uncached.stdout and uncached.stdout == first.stdout
    assert "900" in second.stdout
