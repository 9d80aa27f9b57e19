"""Property test (issue 13, section 3): connection strings in every carrier are fixed so that
the file's consumer still reads it, and the string it reads parses with libpq to the intended
keepalives, with every setting it had before unchanged; a second --write changes nothing.

Carriers: Python literals of each quoting ('', "", ''' ''', raw, f-string, implicit
concatenation), JSON (with and without ``\\u0026``), YAML (double-quoted, single-quoted,
plain, literal block), TOML (basic with escapes such as ``\\u0070``, literal, and both
multi-line forms), ``.env`` (unquoted, single, double quotes) and ``.properties``.
Consumers: CPython (``compile`` and ``ast``), ``json``, PyYAML, tomllib, python-dotenv, and Java's own
``java.util.Properties.load`` (run once for every generated .properties file).
The strings are generated from a seeded random source, so a failure is reproducible.
"""

from __future__ import annotations

import ast
import io
import json
import random
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from psycopg.conninfo import conninfo_to_dict

from tests.cli_runner import run_cli

SEED = 13
PER_CARRIER = 8
KEEPALIVES = {"keepalives": "1", "keepalives_idle": "60", "keepalives_interval": "10", "keepalives_count": "6"}
HOSTS = ["db.example.com", "pg-1.eu-west-1.rds.amazonaws.com", "10.1.2.3", "db.example.co.uk"]
APP_NAMES = ["web", "it's", "a&b", "x y", "back\\slash", "q\"uote", "{brace}", "#hash", "caf\u00e9"]


@dataclass
class Case:
    name: str  # file name
    text: str  # file content
    read: Callable[[str], str]  # the file's consumer: file text -> the connection string it reads
    before: dict[str, str]  # libpq's reading of the string before the fix


def _uri(rng: random.Random) -> tuple[str, dict[str, str]]:
    from urllib.parse import quote

    params: list[tuple[str, str]] = []
    if rng.random() < 0.6:
        params.append(("sslmode", rng.choice(["require", "verify-full"])))
    if rng.random() < 0.5:
        params.append(("application_name", rng.choice(APP_NAMES)))
    if rng.random() < 0.3:
        params.append(("keepalives_idle", "7200"))
    query = "&".join(f"{key}={quote(value, safe='')}" for key, value in params)
    host = rng.choice(HOSTS)
    tail = rng.choice(["", "?", "&"]) if query else rng.choice(["", "?"])
    text = f"postgresql://app:pw@{host}:5432/app" + (f"?{query}" if query else "") + (tail if tail != "?" or not query else "")
    return text, conninfo_to_dict(text)


def _dsn(rng: random.Random) -> tuple[str, dict[str, str]]:
    pairs = [f"host={rng.choice(HOSTS)}", "dbname=app"]
    if rng.random() < 0.6:
        pairs.append("sslmode=require")
    if rng.random() < 0.6:
        pairs.append(rng.choice(["options='-c search_path=app'", "application_name=it\\'s", "application_name='a b'"]))
    if rng.random() < 0.3:
        pairs.append("keepalives_idle=7200")
    rng.shuffle(pairs)
    text = " ".join(pairs)
    return text, conninfo_to_dict(text)


def _string(rng: random.Random, dsn_allowed: bool = True) -> tuple[str, dict[str, str]]:
    return _dsn(rng) if dsn_allowed and rng.random() < 0.4 else _uri(rng)


# -- Python ------------------------------------------------------------------------------


def _python_literal(rng: random.Random, value: str) -> str:
    style = rng.choice(["single", "double", "triple", "raw", "fstring", "concat"])
    if style == "raw" and "\\" not in value and "'" not in value:
        return f"r'{value}'"
    if style == "fstring":
        return "f" + json.dumps(value.replace("{", "{{").replace("}", "}}"), ensure_ascii=False)
    if style == "triple" and not value.endswith("'"):
        return "'''" + value.replace("\\", "\\\\").replace("'''", "\\'\\'\\'") + "'''"
    if style == "concat" and len(value) > 4:
        cut = rng.randrange(1, len(value) - 1)
        return f"{_quoted(value[:cut], rng)}\n    {_quoted(value[cut:], rng)}"
    return _quoted(value, rng)


def _quoted(value: str, rng: random.Random) -> str:
    quote = rng.choice(["'", '"'])
    return quote + value.replace("\\", "\\\\").replace(quote, "\\" + quote) + quote


def _read_python(text: str) -> str:
    tree = ast.parse(text)
    call = next(node for node in ast.walk(tree) if isinstance(node, ast.Call))
    arg = call.args[0]
    if isinstance(arg, ast.JoinedStr):
        return "".join(str(part.value) for part in arg.values)  # type: ignore[attr-defined]
    return arg.value  # type: ignore[attr-defined]


def python_case(rng: random.Random) -> Case:
    value, before = _string(rng)
    text = f"import psycopg\n\nconn = psycopg.connect(\n    {_python_literal(rng, value)}\n)\n"
    return Case("db.py", text, _read_python, before)


# -- JSON, YAML, .env, .properties --------------------------------------------------------


def json_case(rng: random.Random) -> Case:
    value, before = _uri(rng)
    written = json.dumps(value, ensure_ascii=rng.random() < 0.5)
    if rng.random() < 0.5:
        written = written.replace("&", "\\u0026")
    return Case("config.json", '{"database": {"url": ' + written + "}}\n", lambda text: json.loads(text)["database"]["url"], before)


def yaml_case(rng: random.Random) -> Case:
    value, before = _uri(rng)
    style = rng.choice(["double", "single", "plain", "block"])
    if style == "double":
        written = json.dumps(value)
    elif style == "single":
        written = "'" + value.replace("'", "''") + "'"
    elif style == "plain" and re.fullmatch(r"[^'\"#{}\[\],&*!|>%@`\s][^#\s]*", value) and ": " not in value:
        written = value
    else:
        written = "|\n    " + value
    text = f"# the app's settings\n---\nkind: Secret\nstringData:\n  DATABASE_URL: {written}\n"
    return Case("secret.yaml", text, lambda text: list(yaml.safe_load_all(text))[0]["stringData"]["DATABASE_URL"].rstrip("\n"), before)


def env_case(rng: random.Random) -> Case:
    from dotenv import dotenv_values

    value, before = _uri(rng)
    style = rng.choice(["plain", "single", "double"])
    if style == "single" and "'" not in value:
        written = f"'{value}'"
    elif style == "plain" and not re.search(r"[\s#'\"\\]", value):
        written = value
    else:
        written = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    text = f"# DATABASE_URL=postgresql://old.example.com/app\nDATABASE_URL={written}\n"
    return Case("app.env", text, lambda text: dotenv_values(stream=io.StringIO(text))["DATABASE_URL"] or "", before)


def toml_case(rng: random.Random) -> Case:
    import tomllib

    value, before = _string(rng)
    style = rng.choice(["basic", "escaped", "literal", "multiline-basic", "multiline-literal"])
    if style == "literal" and "'" not in value:
        written = f"'{value}'"
    elif style == "multiline-literal" and "'" not in value:
        written = f"'''\n{value}'''"
    elif style == "multiline-basic":
        written = '"""\n' + value.replace("\\", "\\\\").replace('"', '\\"') + '"""'
    else:  # basic; "escaped" writes letters and digits of it as \uXXXX, as a hand may
        escaped = style == "escaped"
        written = '"' + "".join(
            f"\\u{ord(c):04x}" if escaped and c.isalnum() and rng.random() < 0.2 else {"\\": "\\\\", '"': '\\"'}.get(c, c)
            for c in value
        ) + '"'
    text = f"# database = 'postgresql://old.example.com/app'\n[database]\nurl = {written}  # the app's\n"
    return Case("app.toml", text, lambda text: tomllib.loads(text)["database"]["url"], before)


def properties_case(rng: random.Random) -> Case:
    value, before = _uri(rng)
    written = value.replace("\\", "\\\\").replace(":", rng.choice([":", "\\:"])).replace("=", rng.choice(["=", "\\="]))
    text = f"#db.url=postgresql://old.example.com/app\ndb.url={written}\n"
    return Case("app.properties", text, _read_properties, before)


def _read_properties(text: str) -> str:
    return _java_properties([text])[0]


_JAVA = """
import java.io.*; import java.nio.charset.StandardCharsets; import java.nio.file.*; import java.util.*;
public class ReadProps { public static void main(String[] a) throws Exception {
  for (String f : a) { Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(Path.of(f), StandardCharsets.UTF_8)) { p.load(r); }
    String v = p.getProperty("db.url"); StringBuilder b = new StringBuilder();
    for (char c : v.toCharArray()) b.append(String.format("%04x", (int) c));
    System.out.println(b); } } }
"""


def _java_properties(texts: list[str]) -> list[str]:
    """What java.util.Properties.load reads as db.url in each text (the real consumer)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "ReadProps.java"
        source.write_text(_JAVA)
        files = []
        for index, text in enumerate(texts):
            path = Path(folder) / f"{index}.properties"
            path.write_text(text, encoding="utf-8")
            files.append(str(path))
        done = subprocess.run(["java", str(source), *files], capture_output=True, text=True, check=True, timeout=120)
    return [bytes.fromhex(line).decode("utf-16-be") for line in done.stdout.split()]


CARRIERS = {
    "python": python_case,
    "json": json_case,
    "yaml": yaml_case,
    "env": env_case,
    "properties": properties_case,
    "toml": toml_case,
}


def _libpq(text: str) -> dict[str, str]:
    return {key: str(value) for key, value in conninfo_to_dict(text).items()}


@pytest.mark.parametrize("carrier", sorted(CARRIERS))
def test_fixes_in_every_carrier_read_back_as_intended(carrier: str, tmp_path: Path) -> None:
    if carrier == "properties" and shutil.which("java") is None:
        pytest.skip("java is not on PATH: .ci/run installs a JDK for java.util.Properties")
    rng = random.Random(f"{SEED}-{carrier}")
    cases = [CARRIERS[carrier](rng) for _ in range(PER_CARRIER)]
    # What the consumer reads in each generated text, asked once for all of them (one JVM for
    # the .properties files), then checked case by case below.
    if carrier == "properties":
        originals = _java_properties([case.text for case in cases])
    else:
        originals = [case.read(case.text) for case in cases]
    patched = []
    for index, (case, original) in enumerate(zip(cases, originals, strict=True)):
        work = tmp_path / str(index)
        work.mkdir()
        path = work / case.name
        path.write_text(case.text, encoding="utf-8")
        assert _libpq(original) == case.before, case.text  # the generator is honest
        first = run_cli(["--write", "--unsafe-fixes", "."], work)
        assert first.code in (0, 1), first.stderr
        assert "a fix was dropped" not in first.stderr, (case.text, first.stderr)
        text = path.read_text(encoding="utf-8")
        second = run_cli(["--write", "--unsafe-fixes", "."], work)
        assert path.read_text(encoding="utf-8") == text, "a second --write changed the file"
        assert "Fixed 0 findings" in second.stderr + second.stdout
        patched.append(text)
    if carrier == "python":
        for text in patched:
            compile(text, "db.py", "exec")
    readings = _read(cases[0], patched) if carrier == "properties" else [case.read(text) for case, text in zip(cases, patched)]
    for case, text, string in zip(cases, patched, readings):
        after = _libpq(string)
        for key, value in case.before.items():
            assert after[key] == value or key == "keepalives_idle", (case.text, text)
        for key, value in expected_keepalives(case.before).items():
            assert after.get(key) == value, (case.text, text, after)


def _read(case: Case, texts: list[str]) -> list[str]:
    if case.name.endswith(".properties"):
        return _java_properties(texts)
    return [case.read(text) for text in texts]


def expected_keepalives(before: dict[str, str]) -> dict[str, str]:
    """keepalives_idle is always set to 60; the others are added where they were missing."""
    return {key: value for key, value in KEEPALIVES.items() if key == "keepalives_idle" or key not in before}
