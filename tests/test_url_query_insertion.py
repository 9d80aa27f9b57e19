"""Parameters appended to a URL are pure insertions: the fix's edit (JSON ``fix.edits``) starts
and ends where the new text goes, and no byte of the value before it is rewritten, whatever
escape wrote the value's last character (JSON ``\\/`` and ``\\u0070``, YAML ``\\/``, a
``.properties`` ``\\p``, a Python ``\\x70``, a .env ``\\$``). Two fixes that both open the query
in one round still meet: the second waits a round and goes after an ``&`` (never ``??``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pgconf_fix.edits import apply_edits
from pgconf_fix.findings import Edit
from pgconf_fix.source import SourceFile
from tests.cli_runner import run_cli

# (file name, line with the URL as written, the value's last character as the file writes it)
CARRIERS = [
    ("database.json", '{"url": "postgresql+psycopg2://app@db.example.com/app"}\n', "p"),
    ("database.json", '{"url": "postgresql+psycopg2://app@db.example.com/app\\/"}\n', "\\/"),
    ("database.json", '{"url": "postgresql+psycopg2://app@db.example.com/ap\\u0070"}\n', "\\u0070"),
    ("database.json", '{"url": "postgresql+psycopg2://app@db.example.com/app?sslmode=require&"}\n', "&"),
    ("database.yaml", 'url: "postgresql+psycopg2://app@db.example.com/app\\/"\n', "\\/"),
    ("application.properties", "spring.datasource.url=jdbc:postgresql://db.example.com/ap\\p\n", "\\p"),
    ("db.py", 'import psycopg2\nconn = psycopg2.connect("postgresql://app@db.example.com/ap\\x70")\n', "\\x70"),
    (".env", 'DATABASE_URL="postgresql+psycopg2://app@db.example.com/app\\$"\n', "\\$"),
    (".env", "DATABASE_URL=postgresql+psycopg2://app@db.example.com/app\n", "p"),
    (".env", "DATABASE_URL='postgresql+psycopg2://app@db.example.com/app?'\n", "?"),
]


def _offset(text: str, line: int, column: int) -> int:
    """The character offset of 1-based ``line``/``column`` (JSON's edit positions)."""
    return sum(len(piece) for piece in text.splitlines(keepends=True)[: line - 1]) + column - 1


@pytest.mark.parametrize(("name", "text", "last"), CARRIERS, ids=[f"{c[0]}:{c[2]}" for c in CARRIERS])
def test_appended_parameters_are_insertions_after_the_last_character(name: str, text: str, last: str, tmp_path: Path) -> None:
    (tmp_path / name).write_text(text)
    outcome = run_cli(["--format", "json", "--unsafe-fixes", name], tmp_path)
    findings = json.loads(outcome.stdout)
    edits = [edit for finding in findings if finding["fix"] for edit in finding["fix"]["edits"]]
    assert edits, outcome.stdout
    for edit in edits:
        start = _offset(text, edit["line"], edit["column"])
        end = _offset(text, edit["end_line"], edit["end_column"])
        assert start == end, edit  # an insertion: nothing of the value is rewritten
        assert text[:start].endswith(last), edit  # right after the value's last character
    written = run_cli(["--write", "--unsafe-fixes", name], tmp_path)
    assert written.code in (0, 1), written.stderr
    after = (tmp_path / name).read_text()
    head = text[: text.rindex(last) + len(last)]
    assert after.startswith(head)  # the bytes before the insertion point survive
    assert after.count("?") == text.count("?") + (0 if last in "?&" else 1)  # one "?", never "??"
    assert "sslmode=require" in after  # both fixes landed (the second after a round)


def test_two_insertions_that_hold_one_character_overlap_and_a_plain_one_does_not() -> None:
    source = SourceFile.from_bytes(Path("/nowhere/x.json"), "x.json", b"abc")
    opening = Edit(source, 3, 3, "?a=1", holds=(2, 3))
    second = Edit(source, 3, 3, "?b=2", holds=(2, 3))
    plain = Edit(source, 3, 3, "&c=3")
    text, dropped = apply_edits("abc", [opening, second, plain])
    assert text == "abc?a=1&c=3"
    assert dropped == [second]
    with pytest.raises(ValueError):
        Edit(source, 3, 4, "x", holds=(2, 3))


_PRINTABLE = "".join(chr(point) for point in range(0x20, 0x7F))


@pytest.mark.parametrize("char", list(_PRINTABLE), ids=[f"U+{ord(c):04X}" for c in _PRINTABLE])
def test_inserted_text_is_escaped_only_where_it_must_be(char: str, tmp_path: Path) -> None:
    """A string that writes ``char`` as ``\\uXXXX`` (``\\xXX`` in YAML) somewhere: text inserted
    into it escapes only what the format requires (JSON and YAML double quotes: the quote and
    the backslash), and ``char`` only where writers escape it as a class (HTML-safe ``< > & '``,
    as Go's encoding/json writes them). The consumer's parser reads the text back exactly.
    On main before this change a ``\\u0070`` string got ``kee\\u0070alives``."""
    import yaml

    from pgconf_fix.documents.carriers import json_carriers, yaml_carriers

    convention = char in "<>&'"
    json_source = SourceFile.from_bytes(tmp_path / "a.json", "a.json", f'{{"url": "x\\u{ord(char):04x}"}}\n'.encode())
    carrier = next(c for c in json_carriers(json_source) or [] if c.value.startswith("x"))
    written = carrier.encode(_PRINTABLE)
    must = {'"': '\\"', "\\": "\\\\"}
    expected = "".join(f"\\u{ord(c):04x}" if convention and c == char else must.get(c, c) for c in _PRINTABLE)
    assert written == expected
    assert json.loads('"' + written + '"') == _PRINTABLE
    yaml_source = SourceFile.from_bytes(tmp_path / "a.yaml", "a.yaml", f'url: "x\\x{ord(char):02x}"\n'.encode())
    carrier = (yaml_carriers(yaml_source) or [])[-1]
    written = carrier.encode(_PRINTABLE)
    assert written is not None
    assert yaml.safe_load('v: "' + written + '"')["v"] == _PRINTABLE
    escapes = [piece for piece in ("\\x", "\\u") if piece in written.replace("\\\\", "")]
    assert escapes == (["\\x"] if convention else []), written
