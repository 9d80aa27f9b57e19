"""The whole fixture corpus through ``--write --unsafe-fixes``: every file a fix changed is
still accepted by its real consumer, and every connection string in it that libpq reads
still parses with libpq (issue 13, section 3: 0 files broken).

Consumers: CPython ``compile`` (.py), ``json``, PyYAML (every document), ``tomllib``,
``configparser`` (.ini/.cfg), python-dotenv (.env), Java's ``java.util.Properties``
(.properties, one ``java`` run for all), python-hcl2 and ``terraform fmt`` (.tf, when
terraform is installed), the real ``postgres -C`` for a changed postgresql.conf tree, and
libpq itself (psycopg's ``conninfo_to_dict``) for each connection string.
A file the consumer already rejected before the fix is not counted against the fix.
"""

from __future__ import annotations

import configparser
import io
import json
import shutil
import subprocess
import tokenize
import tomllib
from pathlib import Path

import pytest
import yaml
from psycopg import ProgrammingError
from psycopg.conninfo import conninfo_to_dict

from pgconf_fix.documents.connstr import find_connection_strings
from pgconf_fix.verify.conninfo import _scheme, decoded_strings, opaque_templates
from tests.cli_runner import run_cli, tree
from tests.pg_server import PgServer, pg_server  # noqa: F401
from tests.test_carrier_properties import _java_properties

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(path.parent for path in FIXTURES.glob("*/*/before"))


def _args(case: Path) -> list[str]:
    args = case / "args"
    given = args.read_text().split() if args.exists() else ["."]
    return [arg for arg in given if arg != "--unsafe-fixes"]


def consumer_error(name: str, text: str, data: bytes | None = None) -> str | None:
    """Why the file's consumer refuses ``text`` (None: accepted, or no consumer checked here);
    Python compiles ``data``, the file's bytes, as import does (a declared encoding honoured)."""
    suffix = Path(name).suffix
    try:
        if suffix == ".py":
            compile(text if data is None else data, name, "exec")
        elif suffix == ".json":
            json.loads(text)
        elif suffix in (".yaml", ".yml"):
            list(yaml.safe_load_all(text))
        elif suffix == ".toml":
            tomllib.loads(text)
        elif suffix in (".ini", ".cfg"):
            configparser.ConfigParser(interpolation=None, strict=False).read_string(text)
        elif Path(name).name.endswith(".env") or Path(name).name.startswith(".env"):
            from dotenv import dotenv_values

            dotenv_values(stream=io.StringIO(text))
        elif suffix == ".tf":
            import hcl2

            hcl2.loads(text)
    except Exception as exc:  # noqa: BLE001 - any refusal is the answer
        return f"{type(exc).__name__}: {exc}"
    return None


def _text(name: str, data: bytes) -> str:
    """A file's text: a Python module's as its PEP 263 declaration decodes it, else UTF-8."""
    if name.endswith(".py"):
        try:
            encoding, _lines = tokenize.detect_encoding(io.BytesIO(data).readline)
            return data.decode(encoding)
        except (SyntaxError, UnicodeDecodeError):
            pass
    return data.decode("utf-8", "surrogateescape")


def libpq_errors(name: str, text: str) -> set[str]:
    """Each libpq-read connection string in ``text`` that libpq refuses, with its message."""
    values = decoded_strings(Path(name), text)
    decoded = values != [text]
    refused = set()
    for value in values:
        for found in find_connection_strings(value, decoded):
            if found.form == "jdbc":
                continue
            string = opaque_templates(value[found.start : found.end])
            if found.form == "uri":
                string = _scheme().sub("postgresql://", string, count=1)
            try:
                conninfo_to_dict(string)
            except ProgrammingError as exc:
                refused.add(f"{string!r}: {str(exc).strip()}")
    return refused


def test_every_file_the_fixes_change_still_reads(tmp_path: Path) -> None:
    broken: list[str] = []
    changed_files = 0
    properties: list[tuple[str, str, str]] = []
    terraform = shutil.which("terraform")
    for case in CASES:
        work = tmp_path / case.parent.name / case.name
        shutil.copytree(case / "before", work, symlinks=True)
        before = tree(work)
        outcome = run_cli(["--write", "--unsafe-fixes", *_args(case)], work)
        assert outcome.code in (0, 1, 2), outcome.stderr
        for name, data in tree(work).items():
            if before.get(name) == data:
                continue
            changed_files += 1
            old = _text(name, before.get(name, b""))
            new = _text(name, data)
            where = f"{case.parent.name}/{case.name}/{name}"
            error = consumer_error(name, new, data)
            if error is not None and consumer_error(name, old, before.get(name, b"")) is None:
                broken.append(f"{where}: {error}")
            new_refusals = libpq_errors(name, new) - libpq_errors(name, old)
            broken.extend(f"{where}: libpq refuses {item}" for item in sorted(new_refusals))
            if name.endswith(".properties"):
                properties.append((where, old, new))
            if name.endswith(".tf") and terraform:
                if _fmt(terraform, old) == old and _fmt(terraform, new) != new:
                    broken.append(f"{where}: terraform fmt would rewrite the fixed file")
    if properties and shutil.which("java"):
        olds = _java_readable([old for _, old, _ in properties])
        news = _java_readable([new for _, _, new in properties])
        for (where, _, _), ok_before, ok_after in zip(properties, olds, news):
            if ok_before and not ok_after:
                broken.append(f"{where}: java.util.Properties cannot read it")
    assert changed_files > 30  # the corpus really was fixed
    assert broken == []


def _fmt(terraform: str, text: str) -> str | None:
    done = subprocess.run([terraform, "fmt", "-no-color", "-"], input=text, capture_output=True, text=True, check=False)
    return done.stdout if done.returncode == 0 else None


def _java_readable(texts: list[str]) -> list[bool]:
    """Whether Java's Properties.load reads each text (every property file here names db.url or not)."""
    marked = [text + "\ndb.url=x\n" for text in texts]  # the reader prints db.url: make sure it exists
    try:
        _java_properties(marked)
    except subprocess.CalledProcessError:
        return [False] * len(texts)
    return [True] * len(texts)


def test_every_server_tree_the_fixes_change_still_starts(tmp_path: Path, pg_server: PgServer) -> None:  # noqa: F811
    """A changed postgresql.conf (and its includes) as the real server reads it at start-up."""
    checked = 0
    for case in sorted((FIXTURES / "server").glob("*/before")):
        case = case.parent
        work = tmp_path / case.name
        shutil.copytree(case / "before", work, symlinks=True)
        before = tree(work)
        run_cli(["--write", "--unsafe-fixes", *_args(case)], work)
        changed = [name for name, data in tree(work).items() if before.get(name) != data]
        mains = {Path(name).parent for name in changed if Path(name).name == "postgresql.conf"}
        for folder in mains:
            original = tmp_path / f"{case.name}-original"
            shutil.copytree(case / "before", original, symlinks=True)
            code_before, _ = pg_server.config_value(original / folder, "tcp_keepalives_idle")
            code_after, said = pg_server.config_value(work / folder, "tcp_keepalives_idle")
            checked += 1
            if code_before == 0:
                assert code_after == 0, f"{case.name}/{folder}: the server refuses the fixed tree: {said}"
    if checked == 0:
        pytest.skip("no server fixture changes a postgresql.conf")
