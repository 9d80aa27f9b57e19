"""Python string literals read as carriers (pgconf_fix.documents.python_strings): a literal with
nothing to decode is taken whole (issue 18), and must read exactly as the character-by-character
walk reads it, value, offsets and encoder's output alike."""

from __future__ import annotations

import ast
import sys
import warnings
from pathlib import Path

from pgconf_fix.documents import python_nodes, python_strings
from pgconf_fix.source import SourceFile

LITERALS = (
    "'plain'", '"plain"', "'''three\nlines'''", '"""doc\n    string\n"""', "''", "r'raw \\d+ \\\\'", "R'\\n'",
    "'esc\\n\\t\\x41\\u00e9\\N{BULLET}'", "b'bytes'", "b'\\u0041'", "f'{host}:{port}'", "f'{{braces}}'", "f'plain f'",
    "rf'{x}\\d'", "f'}}'", "'line\\\ncontinued'", "'ä unicode'", "'postgresql://u:p@h/db?sslmode=require'",
)


def _walked(source: SourceFile, start: int, end: int) -> tuple | None:
    """What ``_decode`` gives through the walk alone."""
    text = source.text
    prefix = python_strings._PREFIX.match(text, start).group().lower()
    body = start + len(prefix)
    quote = text[body : body + 3] if text[body : body + 3] in ("'''", '"""') else text[body]
    encoder = python_strings._encoder(quote, "r" in prefix, "f" in prefix, "b" in prefix)
    return python_strings._walked(text, body + len(quote), end - len(quote), "r" in prefix, "f" in prefix, "b" in prefix, encoder)


def _same(source: SourceFile) -> int:
    tree = python_nodes.parse(source.text)
    compared = 0
    for group in python_nodes.string_groups(source.text, tree):
        for start, end in group:
            fast, slow = python_strings._decode(source, start, end), _walked(source, start, end)
            if fast is None or slow is None:
                assert fast is slow, source.text[start:end]
                continue
            assert fast[:2] == slow[:2], source.text[start:end]
            for probe in ("", "a'b\"c", "x\\y", "{z}", "line\nbreak", "é"):
                assert fast[2](probe) == slow[2](probe)
            compared += 1
    return compared


def test_a_plain_literal_reads_as_the_walk_reads_it() -> None:
    text = "".join(f"x{index} = {literal}\n" for index, literal in enumerate(LITERALS))
    assert _same(SourceFile.from_bytes(Path("m.py"), "m.py", text.encode())) == len(LITERALS)
    # and as Python reads them (f-strings keep their fields as written; bytes read as text)
    carriers = python_strings.python_carriers(SourceFile.from_bytes(Path("m.py"), "m.py", text.encode()))
    values = [carrier.value for carrier in carriers]
    for literal in LITERALS:
        if "f" not in literal.split("'")[0].split('"')[0].lower():
            with warnings.catch_warnings(action="ignore"):  # b'\u0041': bytes have no \u escape
                value = ast.literal_eval(literal)
            if isinstance(value, bytes):
                continue
            assert value in values, literal


def test_the_standard_librarys_literals_read_as_the_walk_reads_them() -> None:
    library = Path(ast.__file__).parent
    compared = 0
    for name in ("ast.py", "argparse.py", "tokenize.py", "string.py", "textwrap.py", "email/_header_value_parser.py"):
        data = (library / name).read_bytes()
        compared += _same(SourceFile.from_bytes(Path(name), name, data))
    assert compared > 1000, compared
    assert sys.version_info >= (3, 11)
