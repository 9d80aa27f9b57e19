"""The fast .tf reader gives python-hcl2's answer, offset for offset, or leaves the file to it.

Whenever ``read_blocks`` returns blocks, python-hcl2 must accept the same text and
``hcl2_blocks`` must give equal blocks (every offset, label, attribute and expression).
Checked on every .tf file in the repository, on hand-written edge cases, and on
generated and mutated files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pgconf_fix.documents.hcl import NUMBER, REFERENCE, STRING, HclDocument, hcl2_blocks
from pgconf_fix.documents.hcl_reader import read_blocks
from pgconf_fix.source import SourceFile

ROOT = Path(__file__).resolve().parent.parent
TF_FILES = sorted(p for p in [*ROOT.glob("tests/**/*.tf"), *ROOT.glob("examples/**/*.tf")])


def agrees(text: str) -> bool:
    """True when the fast reader read the text itself (and agreed with python-hcl2)."""
    fast = read_blocks(text)
    if fast is None:
        return False
    assert fast == hcl2_blocks(text), text  # python-hcl2 raising here is a disagreement too
    return True


@pytest.mark.parametrize("path", TF_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_repository_tf_files(path: Path) -> None:
    agrees(path.read_text(encoding="utf-8", errors="surrogateescape"))


def _hcl2_reads(text: str) -> bool:
    try:
        hcl2_blocks(text)
    except Exception:  # noqa: BLE001 - any refusal: a broken file (the PGF001 fixtures)
        return False
    return True


# What the fast reader leaves to python-hcl2 (hcl_reader's docstring): a heredoc, a "for"
# expression, a conditional or an operator (the count/for_each fixtures' "var.on ? 1 : 0").
SLOW_SHAPES = re.compile(r"<<|\bfor\b|\s\?\s|==|!=|&&|\|\||\s[<>]=?\s")


def test_most_repository_files_take_the_fast_path() -> None:
    # Of the files python-hcl2 reads, only those with a shape the fast reader leaves to it
    # should need it here; a file it rejects always falls back, so that the syntax error
    # (PGF001) is python-hcl2's.
    texts = [path.read_text(encoding="utf-8") for path in TF_FILES]
    broken = [text for text in texts if not _hcl2_reads(text)]
    assert broken and all(read_blocks(text) is None for text in broken)
    read = [text for text in texts if text not in broken]
    slow = [text for text in read if not agrees(text)]
    assert all(SLOW_SHAPES.search(text) for text in slow), [text for text in slow if not SLOW_SHAPES.search(text)]
    assert len(slow) <= len(read) // 5, f"{len(slow)} of {len(read)} fell back"


READ_FAST = [
    'resource "aws_lb" "x" {\n  idle_timeout = 60\n}\n',
    'resource "aws_lb" "x" {\n  idle_timeout = 05\n  b = 1.5e3\n  c = 2E-1\n}',
    'resource "aws_lb" "x" { idle_timeout = 60 }\n',
    'resource aws_lb x {\n}\n',
    'a {}\nb "c" {}\n',
    'locals {\n  t = "${var.x}"\n  u = "${ ( local.y ) }"\n  v = "a${var.x}"\n  w = "${var.x}${var.y}"\n}\n',
    'locals {\n  t = (5)\n  u = ((var.x))\n  v = (\n    5\n  )\n  w = (var.x).y\n}\n',
    'locals {\n  t = var.x.y\n  u = var.x[0]\n  v = var[0]\n  w = foo(1, [2, 3], { a = 1, "b": 2 })[0]\n}\n',
    'locals {\n  t = [\n    1, # one\n    2,\n  ]\n  u = {\n    a = 1\n    b = 2,\n    c = 3\n    ,\n  }\n}\n',
    'locals {\n  t = foo(\n    1,\n    2,\n  )\n  u = foo()\n  v = var.a-b\n}\n',
    '# comment\n// comment\n/* multi\nline */\nvariable "x" {\n  default = null\n  sensitive = true\n}\n',
    'variable "x" {\r\n  default = 300\r\n}\r\n',
    'x "y" {\n  s = "a\\"b\\\\c\\n$x%y $ {z} % {w}"\n  e = ""\n}\n',
    'resource "a" "b" {\n  for_each = var.m\n  count = 1\n  in = 2\n  true = 3\n  tags = { (var.k) = 1, "x" = "${each.key}" }\n}\n',
    'attr = 1\nblock {\n  nested {\n    deeper {\n      x = 1\n    }\n  }\n}\n',
    "",
    "\n\n# only a comment",
]


@pytest.mark.parametrize("text", READ_FAST)
def test_edge_cases_read_fast_and_agree(text: str) -> None:
    assert agrees(text)


LEFT_TO_HCL2 = [
    'a {\n  x = 1 + 2\n}\n',
    'a {\n  x = var.a ? 1 : 2\n}\n',
    'a {\n  x = [for v in var.l : v]\n}\n',
    'a {\n  x = { for k, v in var.m : k => v }\n}\n',
    'a {\n  x = var.l[*].id\n  y = var.l.*.id\n}\n',
    'a {\n  x = <<EOF\nhello\nEOF\n}\n',
    'a {\n  x = "%{if true}y%{endif}"\n}\n',
    'a {\n  x = "$${literal}"\n}\n',
    'a {\n  x = provider::aws::arn_parse("x")\n}\n',
    'a {\n  x = f(var.l...)\n}\n',
    'a {\n  x = 1 y = 2\n}\n',
    'a\n{\n}\n',
    'a {\n  x = "multi\nline"\n}\n',
    'a {\n  x = !true\n}\n',
    'a {\n  x = -5\n}\n',  # python-hcl2 reads a unary minus, not a negative number
    'a {\n  x = var.l.0\n}\n',
    'a {\n  x = 1\n',  # unclosed
    'a {\n  x = \n}\n',
    'a {\n  x = "unterminated\n}\n',
    '}\n',
    'a { x = { for = 1 } }\n',
    '\ufeffa {}\n',
    'a {\n  x = "caf\u00e9" \n  \u00e9 = 1\n}\n',
]


@pytest.mark.parametrize("text", LEFT_TO_HCL2)
def test_outside_the_subset_python_hcl2_decides(text: str) -> None:
    assert read_blocks(text) is None


def test_document_uses_python_hcl2_for_what_the_reader_leaves() -> None:
    heredoc = 'resource "aws_lb" "x" {\n  description = <<EOF\nhi\nEOF\n  idle_timeout = 60\n}\n'
    document = HclDocument(SourceFile.from_bytes(Path("x.tf"), "x.tf", heredoc.encode()))
    assert document.error is None
    assert document.blocks[0].attribute("idle_timeout").value.value == 60
    broken = HclDocument(SourceFile.from_bytes(Path("y.tf"), "y.tf", b'resource "aws_lb" "x" {\n  a = \n'))
    assert broken.error is not None and broken.blocks == []


def test_values_as_the_rules_read_them() -> None:
    text = 'resource "aws_lb" "x" {\n  a = 60\n  b = "application"\n  c = var.t\n  d = "${local.u}"\n}\n'
    block = read_blocks(text)[0]
    a, b, c, d = (block.attribute(name).value for name in "abcd")
    assert (a.kind, a.value, text[a.start : a.end]) == (NUMBER, 60, "60")
    assert (b.kind, b.value, b.quoted) == (STRING, "application", True)
    assert (c.kind, c.value) == (REFERENCE, ("var", "t"))
    assert (d.kind, d.value, d.legacy, text[d.start : d.end]) == (REFERENCE, ("local", "u"), True, "local.u")


# --- generated files -------------------------------------------------------------------------

NAMES = st.sampled_from(["a", "idle_timeout", "var", "local", "each", "x-y", "_z", "for_each", "in", "true", "null", "for", "count"])
GAPS = st.sampled_from([" ", "", "  ", "\t", " /* c */ ", "\r"])
NEWLINES = st.sampled_from(["\n", "\r\n", " # note\n", " // note\n", "\n\n", "\n/* block\ncomment */\n", "\n  "])


ODD_STRING_PIECES = ["%{if x}", "$${e}", "é", "\n", "\\"]
ODD_LEAVES = ["- 5", "-5", "!x", "1 + 2", "a ? b : c", "var.l[*].id", "var.l.*", "var.l.0", "<<EOF\nz\nEOF", "5x", ".5"]


def _strings(clean: bool) -> st.SearchStrategy[str]:
    pieces = ["abc", "a b", "\\\"", "\\\\", "\\n", "$", "%", "$x", "%x", "${var.x}", "${ local.y }", "${5}", "${f(1)}"]
    pieces = st.sampled_from(pieces if clean else pieces + ODD_STRING_PIECES)
    return st.lists(pieces, max_size=3).map(lambda parts: '"' + "".join(parts) + '"')


def _expressions(clean: bool) -> st.SearchStrategy[str]:
    words = ["1", "0", "1.5", "2e3", "1.5E-2", "07", "true", "false", "null", "var.x", "local.y", "var.x.y", "var.x[0]",
             "each.value", "var.a-b", "x", "var . x"]
    leaves = st.one_of(st.sampled_from(words if clean else words + ODD_LEAVES), _strings(clean))

    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        joined = st.tuples(st.lists(inner, max_size=3), NEWLINES | st.just(" "), st.sampled_from([", ", ",", " "]), st.booleans())
        return st.one_of(
            joined.map(lambda t: "[" + t[1] + t[2].join(t[0]) + (t[2] if t[3] else "") + "]"),
            joined.map(lambda t: "f(" + t[1] + t[2].join(t[0]) + (", " if t[3] else "") + ")"),
            st.tuples(st.lists(st.tuples(NAMES, st.sampled_from([" = ", ": ", "="]), inner), max_size=3), NEWLINES | st.just(", ")).map(
                lambda t: "{" + t[1].join(k + s + v for k, s, v in t[0]) + "}"
            ),
            st.tuples(inner, st.sampled_from(["", "\n"])).map(lambda t: "(" + t[1] + t[0] + t[1] + ")"),
            st.tuples(inner, st.sampled_from([".a", "[0]", ".b[1]"])).map(lambda t: t[0] + t[1]),
            inner.map(lambda e: '"${' + e + '}"'),
        )

    return st.recursive(leaves, extend, max_leaves=6)


def _body(depth: int, clean: bool) -> st.SearchStrategy[str]:
    equals = st.just("=") if clean else st.sampled_from(["=", "=="])
    attribute = st.tuples(NAMES, GAPS, equals, GAPS, _expressions(clean)).map("".join)
    items: st.SearchStrategy[str] = attribute
    if depth > 0:
        items = st.one_of(attribute, _block(depth - 1, clean))
    between = NEWLINES if clean else NEWLINES | st.just(" ")
    return st.tuples(st.lists(st.tuples(items, between), max_size=4), NEWLINES | st.just("")).map(
        lambda t: t[1] + "".join(item + gap for item, gap in t[0])
    )


def _block(depth: int, clean: bool) -> st.SearchStrategy[str]:
    labels = st.lists(st.one_of(NAMES, st.sampled_from(['"aws_lb"', '"x"', '"${var.n}"', '""'])), max_size=2)
    before_brace = st.sampled_from([" ", ""] if clean else [" ", "", "\n"])
    return st.tuples(NAMES, labels, before_brace, _body(depth, clean)).map(
        lambda t: t[0] + "".join(" " + label for label in t[1]) + t[2] + "{" + t[3] + "}"
    )


def _files(clean: bool) -> st.SearchStrategy[str]:
    return st.lists(st.tuples(_block(2, clean), NEWLINES), max_size=3).map(lambda items: "".join(b + n for b, n in items))


FILES = _files(clean=False)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FILES)
def test_generated_files_agree(text: str) -> None:
    agrees(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_files(clean=True))
def test_files_of_the_plain_shape_agree(text: str) -> None:
    # Names such as "for" or "in" may still send one to python-hcl2; the rest must read fast.
    agrees(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FILES, st.data())
def test_mutated_files_agree(text: str, data: st.DataObject) -> None:
    # One character deleted, doubled or replaced: near-misses of valid files.
    if not text:
        return
    at = data.draw(st.integers(0, len(text) - 1))
    how = data.draw(st.sampled_from(["delete", "double", "replace"]))
    if how == "delete":
        text = text[:at] + text[at + 1 :]
    elif how == "double":
        text = text[: at + 1] + text[at:]
    else:
        text = text[:at] + data.draw(st.sampled_from(list('{}[]()=:,."#/\n -+*$%\\'))) + text[at + 1 :]
    agrees(text)


def test_a_text_is_read_once_per_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """HclDocument remembers what a text reads as (the re-check after a fix and the verifier
    read the same texts again): one read for two documents of one text, and each document
    has lists of its own."""
    from pgconf_fix.documents import hcl

    calls: list[str] = []
    real = hcl.read_body
    monkeypatch.setattr(hcl, "read_body", lambda text: calls.append(text) or real(text))
    hcl._read.cache_clear()
    data = b'resource "aws_lb" "db" {\n  idle_timeout = 60\n}\n'
    first = HclDocument(SourceFile.from_bytes(Path("a/main.tf"), "a/main.tf", data))
    second = HclDocument(SourceFile.from_bytes(Path("b/main.tf"), "b/main.tf", data))
    assert len(calls) == 1
    assert first.blocks == second.blocks and first.blocks is not second.blocks
    assert first.blocks[0].attributes[0].value.value == 60
    broken = b'resource "aws_lb" "db" {\n  idle_timeout = = 60\n}\n'
    for _ in range(2):
        assert HclDocument(SourceFile.from_bytes(Path("c.tf"), "c.tf", broken)).error is not None
    assert len(calls) == 2


def _one_by_one(text: str) -> list[tuple[str, int, int]]:
    """The tokens of ``text`` as the reader takes them when it has no list (``_Reader.take``)."""
    from pgconf_fix.documents.hcl_reader import _Reader, _Unsupported

    reader = _Reader(text)
    tokens = []
    try:
        while not tokens or tokens[-1][0] != "end":
            tokens.append(reader.take())
    except _Unsupported:
        return []
    return tokens


PLAIN_STRINGS = [
    'a = "plain"\nb = "esc\\"aped \\\\ \\n"\nc = "$5 and 100%"\n',
    'resource "aws_lb" "x" {\n  name = "a$b%c"  # $ and % alone\n  tags = { team = "a-b" }\n}\n',
    'locals {\n  s = "ends in $"\n  t = "ends in %"\n  u = ""\n}\n',
]


@pytest.mark.parametrize("text", [*PLAIN_STRINGS, *(path.read_text(encoding="utf-8", errors="surrogateescape") for path in TF_FILES)])
def test_the_one_pass_tokenizer_is_the_reader_token_by_token(text: str) -> None:
    # _tokens finds a file's tokens in one pass (the common case; issue 18 made its string
    # pattern possessive and wrote _token's work into its loop): the same tokens as the reader
    # takes one by one, and, for strings without "${" or "%{" (escapes, a lone $ or % in them),
    # the list itself: None would send every such file to the slower token-by-token reader.
    from pgconf_fix.documents.hcl_reader import _tokens

    found = _tokens(text)
    if text in PLAIN_STRINGS:
        assert found is not None, text
    if found is not None:
        assert found == _one_by_one(text)
