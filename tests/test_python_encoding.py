"""A Python module is read as the interpreter reads it: decoded as its PEP 263 declaration says,
refused (PGF001) in the interpreter's own words where it refuses the bytes or where its compiler
refuses the code, and written back in its own encoding with every byte outside an edit kept.

Every expectation here is checked against the running CPython: ``compile`` of the file's
bytes, as ``import`` compiles a module.
"""

from __future__ import annotations

import ast
import io
import re
import shutil
import tokenize
import warnings
from pathlib import Path

import pytest

from pgconf_fix.documents.python import PythonDocument
from pgconf_fix.patcher import WriteError, write_fixed
from pgconf_fix.source import SourceFile
from pgconf_fix.verify import Trial, refusal
from tests.cli_runner import run_cli, tree

FIXTURES = Path(__file__).parent / "fixtures"
ENGINE = b'from sqlalchemy import create_engine\nengine = create_engine("postgresql+psycopg2://app@db.example.com/app")\n'


def cpython(data: bytes) -> SyntaxError | None:
    """CPython's refusal of a module's bytes (``compile``, as import does), or None."""
    try:
        with warnings.catch_warnings(action="ignore"):
            compile(data, "<module>", "exec", dont_inherit=True)
    except SyntaxError as error:
        return error
    return None


def cpython_value(data: bytes, name: str) -> object:
    """The value the module's code gives ``name`` when CPython runs its bytes."""
    namespace: dict[str, object] = {}
    exec(compile(data, "<module>", "exec", dont_inherit=True), namespace)  # noqa: S102 - our own test modules
    return namespace[name]


def document(tmp_path: Path, data: bytes, name: str = "db.py") -> PythonDocument:
    return PythonDocument(SourceFile.from_bytes(tmp_path / name, name, data))


# -- decoding, as CPython decodes ------------------------------------------------------------

READ = {
    "latin-1 on line 1": b"# -*- coding: latin-1 -*-\nx = 'caf\xe9'\n",
    "cp1252 on line 2 (vim)": b"#!/usr/bin/env python3\n# vim: set fileencoding=cp1252 :\nx = '10 \x80 \x93q\x94'\n",
    "coding= spelling": b"#coding=iso-8859-15\nx = '\xa4'\n",
    "utf-8 declared": b"# coding: utf-8\nx = 'caf\xc3\xa9'\n",
    "byte order mark with utf-8": b"\xef\xbb\xbf# coding: utf-8\nx = 'caf\xc3\xa9'\n",
    "shift_jis": "# coding: shift_jis\nx = 'データ'\n".encode("shift_jis"),
    "declaration after a blank line": b"\n# coding: latin-1\nx = '\xe9'\n",
    "CRLF line ends": b"#!/x\r\n# coding: latin-1\r\nx = '\xe9'\r\n",
    "latin-1 bytes that are valid UTF-8": b"# coding: latin-1\nx = '\xc3\xa9'\n",
}


@pytest.mark.parametrize("data", READ.values(), ids=READ.keys())
def test_a_declared_encoding_is_read_as_python_reads_it(tmp_path: Path, data: bytes) -> None:
    assert cpython(data) is None
    doc = document(tmp_path, data, "m.py")
    assert doc.error is None and doc.module is not None
    assigned = next(node for node in ast.walk(ast.parse(doc.text.removeprefix("\ufeff"))) if isinstance(node, ast.Assign))
    assert ast.literal_eval(assigned.value) == cpython_value(data, "x")
    assert doc.source.encode(doc.text) == data  # the text gives back the file's bytes


REFUSED = {
    "unknown codec": b"# -*- coding: nosuch -*-\nimport psycopg\n",
    "codec refuses a byte": b"# coding: cp1252\nimport psycopg\n# \x81\n",
    "ascii declared, latin-1 bytes": b"# coding: ascii\nimport psycopg\nx = 'caf\xe9'\n",
    "byte order mark with latin-1": b"\xef\xbb\xbf# coding: latin-1\nimport psycopg\n",
    "not a text encoding": b"# coding: hex\nimport psycopg\n",
    "undeclared latin-1 in a string": b"import psycopg\nx = 'caf\xe9'\n",
    "utf-8 declared, latin-1 bytes": b"# coding: utf-8\nimport psycopg\nx = 'caf\xe9'\n",
    "declaration on line 3 is none": b"import psycopg\n#\n# coding: latin-1\nx = '\xe9'\n",
    "utf-16 declared over ASCII bytes": b"# coding: utf-16\nimport psycopg\n",
}


@pytest.mark.parametrize("data", REFUSED.values(), ids=REFUSED.keys())
def test_a_module_python_cannot_decode_is_pgf001_in_its_words(tmp_path: Path, data: bytes) -> None:
    refused = cpython(data)
    assert refused is not None
    doc = document(tmp_path, data, "m.py")
    assert doc.module is None and doc.error is not None
    line, _column, message = doc.error
    assert message == f"not valid Python: {refused.msg}"
    if refused.lineno:
        assert line == refused.lineno
    else:  # CPython names no line: the declaration's, or the first byte its codec refuses
        position = re.search(r"in position (\d+)", refused.msg)
        expected = data[: int(position.group(1))].count(b"\n") + 1 if position else 1
        assert line == expected


def test_undeclared_latin_1_in_a_comment_is_imported_and_not_called_refused(tmp_path: Path) -> None:
    """``compile`` of the bytes (``import``, ``python -m``, runpy) takes a non-UTF-8 byte in a
    comment of a module that declares nothing; only ``python file.py`` refuses it. No PGF001 (main
    said "not valid Python" here); the module is left unread rather than judged on a guess."""
    data = b"import psycopg\n# caf\xe9\n" + ENGINE
    assert cpython(data) is None
    doc = document(tmp_path, data)
    assert doc.error is None and doc.problems == [] and doc.module is None and doc.unreadable


# -- compiler refusals -----------------------------------------------------------------------

REFUSALS = sorted((FIXTURES / "python" / "compiler-refusals" / "before").glob("*.py"))


@pytest.mark.parametrize("path", REFUSALS, ids=lambda path: path.stem)
def test_what_the_compiler_refuses_is_pgf001_at_its_line(path: Path) -> None:
    """``ast.parse`` takes each of these; CPython's compiler (or symbol table) does not."""
    data = path.read_bytes()
    ast.parse(data)
    refused = cpython(data)
    doc = PythonDocument(SourceFile.from_bytes(path, path.name, data))
    if refused is None:
        assert doc.error is None and doc.module is not None
    else:
        assert doc.module is None
        assert doc.error is not None and doc.error[0] == refused.lineno
        assert doc.error[2] == f"not valid Python: {refused.msg}"


def test_top_level_await_is_refused_only_outside_a_function(tmp_path: Path) -> None:
    inside = ENGINE + b"async def close():\n    await engine.dispose()\n"
    assert cpython(inside) is None and document(tmp_path, inside).error is None
    outside = ENGINE + b"await engine.dispose()\n"
    assert cpython(outside) is not None and document(tmp_path, outside).error[0] == 3  # type: ignore[index]


# -- every fixture agrees with CPython -------------------------------------------------------

PYTHON_CASES = sorted(path.parent for path in FIXTURES.glob("python/*/before"))


@pytest.mark.parametrize("case", PYTHON_CASES, ids=lambda case: case.name)
def test_pgf001_in_the_python_fixtures_is_exactly_what_cpython_refuses(case: Path) -> None:
    """A module of the fixtures that CPython refuses (its bytes, compiled) has PGF001 with
    CPython's message (at its line where CPython names one) and no finding of any rule that
    judges settings, unless it suppresses PGF001; one CPython takes has no PGF001; and every
    module a fix wrote compiles."""
    findings = (case / "findings.txt").read_text().splitlines()
    selected = (case / "args").read_text() if (case / "args").exists() else ""
    for path in sorted((case / "before").rglob("*.py")):
        name = path.relative_to(case / "before").as_posix()
        mine = [line for line in findings if line.startswith(f"{name}:")]
        data = path.read_bytes()
        refused = cpython(data)
        errors = [line for line in mine if " PGF001 " in line]
        if refused is None:
            assert not errors, name
            continue
        assert not [line for line in mine if not re.search(r" PGF00\d ", line)], (name, mine)
        if not errors:
            configured = "".join(p.read_text() for p in (case / "before").glob("*.toml"))
            assert b"ignore[PGF001]" in data or "--select" in selected or "PGF001" in configured, (name, mine)
            continue
        assert errors == [errors[0]] and f" PGF001 not valid Python: {refused.msg}" in errors[0], (name, mine)
        if refused.lineno:
            assert errors[0].startswith(f"{name}:{refused.lineno}:"), (name, mine)
    for path in sorted((case / "after").rglob("*.py")) if (case / "after").exists() else []:
        original = case / "before" / path.relative_to(case / "after")
        if not original.exists() or original.read_bytes() != path.read_bytes():
            assert cpython(path.read_bytes()) is None, path


# -- writing back in the module's encoding ---------------------------------------------------

LATIN_1 = (
    b"# -*- coding: latin-1 -*-\n"
    b"# h\xf4te de production\n"
    b"from sqlalchemy import create_engine\n"
    b'GREETING = "bient\xf4t"\n'
    b'engine = create_engine("postgresql+psycopg2://app@db.example.com/caf\xe9", echo=True)  # \xe9t\xe9\n'
)


def _strings(data: bytes) -> list[str]:
    encoding, _lines = tokenize.detect_encoding(io.BytesIO(data).readline)
    return [node.value for node in ast.walk(ast.parse(data.decode(encoding))) if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def test_write_keeps_the_declared_encoding_and_every_byte_around_the_edit(tmp_path: Path) -> None:
    (tmp_path / "db.py").write_bytes(LATIN_1)
    first = run_cli(["--write", "."], tmp_path)
    assert first.code in (0, 1), first.stderr
    written = (tmp_path / "db.py").read_bytes()
    assert written != LATIN_1 and cpython(written) is None
    strings = _strings(written)
    assert "bientôt" in strings and "postgresql+psycopg2://app@db.example.com/café" in strings
    assert "pool_pre_ping" in written.decode("latin-1")
    # Outside the edited call, the bytes are the original's.
    call = LATIN_1.index(b'"postgresql')
    assert written.startswith(LATIN_1[:call])
    assert written.endswith(b")  # \xe9t\xe9\n")
    again = run_cli(["--write", "."], tmp_path)
    assert "Fixed 0 findings" in again.stderr + again.stdout
    assert (tmp_path / "db.py").read_bytes() == written


def test_an_edit_the_encoding_cannot_hold_is_refused_and_never_written(tmp_path: Path) -> None:
    """A character latin-1 has no byte for: the verifiers refuse the edit (a fix that makes it
    is dropped, with the reason), and writing it is refused rather than done wrongly."""
    path = tmp_path / "db.py"
    path.write_bytes(LATIN_1)
    source = SourceFile.from_bytes(path, "db.py", LATIN_1)
    assert source.encoding == "iso-8859-1"
    new = source.text.replace("echo=True", "echo=True, application_name='€'")
    reason = refusal(Trial(source, new))
    assert reason is not None and "'€' cannot be written in the file's encoding (iso-8859-1)" in reason
    with pytest.raises(WriteError):
        write_fixed(source, new)
    assert path.read_bytes() == LATIN_1
    fine = source.text.replace("echo=True", "echo=True, application_name='été'")
    assert refusal(Trial(source, fine)) is None


def test_a_suppression_reason_the_encoding_cannot_hold_is_not_written(tmp_path: Path) -> None:
    (tmp_path / "db.py").write_bytes(LATIN_1)
    refused = run_cli(["--add-suppressions", "accepted — see ticket 12"], tmp_path)
    assert "cannot be written in the file's encoding (iso-8859-1); left as it was" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert (tmp_path / "db.py").read_bytes() == LATIN_1
    done = run_cli(["--add-suppressions", "accepté"], tmp_path)
    assert done.code == 0, done.stderr
    written = (tmp_path / "db.py").read_bytes()
    assert cpython(written) is None and b"ignore[" in written and b"accept\xe9" in written


def test_a_lossy_encoding_gets_no_fix(tmp_path: Path) -> None:
    """cp932 decodes two byte pairs to one character (NEC's and IBM's ≒) and writes back only one
    of them: findings, and no fix, rather than bytes changed outside the edit."""
    lossy = b"# coding: cp932\n# \x87\x90\n" + ENGINE
    assert b"\x87\x90".decode("cp932").encode("cp932") != b"\x87\x90"
    assert cpython(lossy) is None
    (tmp_path / "lossy.py").write_bytes(lossy)
    outcome = run_cli(["--write", "--unsafe-fixes", "."], tmp_path)
    assert (tmp_path / "lossy.py").read_bytes() == lossy
    assert "PGF501" in outcome.stdout and "do not come back from its text in cp932" in outcome.stdout


def test_a_stateful_encoding_keeps_an_edit_only_where_its_shifts_stay() -> None:
    """UTF-7 ends a base64 run with "-" only before a character that needs it: text inserted
    right after "é" makes the run end differently ("+AOk " becomes "+AOk-x "), which the check
    cannot tell from a change of the bytes before the edit, so it is refused (conservatively);
    the same text inserted after plain ASCII keeps every other byte, and is taken.
    (ISO-2022-JP: the fixture python/pep263-iso-2022-jp-stateful-codec, fixed.)"""
    from pgconf_fix.documents.python_encoding import encoding_problem

    original = "# coding: utf-7\nx = 'é b'\n"
    data = original.encode("utf-7")
    assert cpython(data) is None
    shifted = original.replace("é b", "éx b")
    assert "shifts state across the edit" in (encoding_problem(shifted, "utf-7", original, data) or "")
    plain = original.replace("é b", "é bx")
    assert encoding_problem(plain, "utf-7", original, data) is None
    assert plain.encode("utf-7").startswith(data[: data.index(b" b")])


def test_diff_of_a_declared_encoding_applies_as_bytes(tmp_path: Path) -> None:
    """--diff prints the module's own bytes (git apply and patch work on bytes)."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "db.py").write_bytes(LATIN_1)
    diff = run_cli(["--diff", "."], work).stdout_bytes
    assert b"-# h\xf4te" not in diff and b" GREETING = \"bient\xf4t\"\n" in diff
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    import subprocess

    subprocess.run([git, "init", "-q"], cwd=work, check=True)
    subprocess.run([git, "apply", "-"], cwd=work, input=diff, check=True)
    fixed = (work / "db.py").read_bytes()
    assert cpython(fixed) is None and "bientôt" in _strings(fixed)
