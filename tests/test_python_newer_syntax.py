"""A module valid only for a newer Python than the one running pgconf-fix is not passed in
silence: PGF004 names the line the running Python stopped at, and says nothing was checked.

Each module here is compiled by a newer CPython when one is installed (pyenv's, or
``python3.12``/``python3.13`` on PATH), so "valid Python of a newer version" is the real
interpreter's word; where the running Python compiles it itself, the module is checked as any
other and PGF004 must not appear.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_runner import run_cli

ENGINE = 'engine = create_engine("postgresql://app@db.example.com/app")\n'
# (name, module, the line the running Python stops at, the first version that takes it)
MODULES = [
    ("type-statement", f"from sqlalchemy import create_engine\n\ntype Url = str\n{ENGINE}", 3, (3, 12)),
    ("generic-function", f"from sqlalchemy import create_engine\n\n\ndef first[T](items: list[T]) -> T:\n    return items[0]\n\n\n{ENGINE}", 4, (3, 12)),
    ("generic-class", f"from sqlalchemy import create_engine\n\n\nclass Box[T]:\n    pass\n\n\n{ENGINE}", 4, (3, 12)),
    ("nested-fstring-quotes", f'from sqlalchemy import create_engine\n\nd = {{"k": 1}}\nlabel = f"{{d["k"]}}"\n{ENGINE}', 4, (3, 12)),
]


def _newer_pythons() -> list[str]:
    found = []
    for version in ("3.12", "3.13", "3.14"):
        for candidate in (shutil.which(f"python{version}"), *sorted(Path.home().glob(f".pyenv/versions/{version}*/bin/python3"))):
            if candidate and Path(candidate).exists():
                done = subprocess.run([str(candidate), "-c", "pass"], capture_output=True, check=False)
                if done.returncode == 0:
                    found.append(str(candidate))
                    break
    return found


def _compiles(python: str, text: str, tmp_path: Path) -> bool:
    path = tmp_path / "probe.py"
    path.write_text(text)
    done = subprocess.run([python, "-c", "import sys; compile(open(sys.argv[1]).read(), sys.argv[1], 'exec')", str(path)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    return done.returncode == 0


@pytest.mark.parametrize(("name", "text", "line", "since"), MODULES, ids=[m[0] for m in MODULES])
def test_a_newer_pythons_module_is_reported_not_checked(name: str, text: str, line: int, since: tuple, tmp_path: Path) -> None:
    newer = [python for python in _newer_pythons() if _compiles(python, text, tmp_path)]
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "db.py").write_text(text)
    outcome = run_cli(["--format", "json", "--no-cache", "."], tree)
    codes = [(finding["code"], finding["line"]) for finding in json.loads(outcome.stdout)]
    if sys.version_info[:2] >= since:
        assert ("PGF004", line) not in codes and any(code == "PGF501" for code, _ in codes), codes
        return
    if not newer:
        pytest.skip(f"no Python {since[0]}.{since[1]} or newer installed to confirm the module is valid")
    assert codes == [("PGF004", line)], codes
    assert outcome.code == 1
    ignored = run_cli(["--no-cache", "--ignore", "PGF004", "."], tree)
    assert ignored.code == 0 and "All checks passed!" in ignored.stdout


def test_a_syntax_error_of_every_version_is_still_a_parse_error(tmp_path: Path) -> None:
    (tmp_path / "db.py").write_text(f"from sqlalchemy import create_engine\n\ndef broken(:\n    pass\n{ENGINE}")
    outcome = run_cli(["--format", "json", "--no-cache", "."], tmp_path)
    assert [finding["code"] for finding in json.loads(outcome.stdout)] == ["PGF001"]


# Modules every CPython refuses (3.11, and 3.12/3.13 where installed: confirmed below) that
# libcst's grammar takes: they are parse errors, not a newer Python's syntax.
REFUSED_BY_EVERY_VERSION = [
    "print(*a for a in b)",
    "rows = [*a for a in b]",
    "merged = {**a for a in b}",
    "label = f'{*a}'",
]


@pytest.mark.parametrize("line", REFUSED_BY_EVERY_VERSION)
def test_what_libcst_takes_but_no_python_does_is_a_parse_error(line: str, tmp_path: Path) -> None:
    text = f"from sqlalchemy import create_engine\n\n{line}\n{ENGINE}"
    assert not any(_compiles(python, text, tmp_path) for python in [sys.executable, *_newer_pythons()])
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "db.py").write_text(text)
    outcome = run_cli(["--format", "json", "--no-cache", "."], tree)
    assert [(f["code"], f["line"]) for f in json.loads(outcome.stdout)] == [("PGF001", 3)]
