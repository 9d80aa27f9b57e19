"""The Python layer reads modules with ``ast`` (documents.python_nodes) in the node shapes and
spans libcst gave it when it was written on libcst: every edit, location and fix is computed
from these spans, so they must agree with libcst's PositionProvider node for node, and the
nodes the views ask for in order must come in the same order."""

from __future__ import annotations

import ast
import re
import sys
import tokenize
from pathlib import Path

import pytest

libcst = pytest.importorskip("libcst")
from libcst.metadata import MetadataWrapper, PositionProvider

from pgconf_fix.documents import python_nodes as syntax

ROOT = Path(__file__).resolve().parent.parent
# Classes whose spans the views and edits use, and those whose order nodes() gives.
SPANNED = (
    "Call", "Arg", "Dict", "DictElement", "StarredDictElement", "SimpleString", "FormattedString",
    "ConcatenatedString", "SimpleStatementLine", "Assign", "AnnAssign", "AugAssign", "Expr", "Subscript", "ClassDef",
)  # fmt: skip
ORDERED = ("Call", "Dict", "SimpleString", "FormattedString", "ConcatenatedString", "Expr", "SimpleStatementLine", "ClassDef", "Import", "ImportFrom")  # fmt: skip
SHAPES = [
    "",
    "\n",
    "x = 1",
    "a = 1\rb = f(\r  2)\r\nc = {'k': 3}\n",
    "if x:\n\tf(a=1)\n\n\n# end",
    "x = f((a),  ( b ) , c=(1), *(e), **(d), g=h)  # c\na = 1; b = 2;  # x\n",
    "f(x for x in y)\nf((x for x in (y)  # c\n))\nif q: z = 1\nclass C(B, metaclass=M): X = 1\n",
    "@dec\ndef g(): pass\nt = (1, 2)\nu = 1, 2\nd[1, 2] = 3\nd[(1, 2)] = 3\n",
    "s = ('a' 'b'\n  'c')\nt = f'{x!r:>{w}}' \"y\" r'z'\nb = rb'q' b'w'\n",
    "d = {**a, 'k': (v), (('j')): [1], **(b),}\nx = g(\n    a,  # one\n    (b),\n)\n",
    "self.push('x');\nreturn_value = 1; \\\n  y = 2\n",
    "x = 'caf\u00e9'; y = f('\u00e9t\u00e9', k={'\u00fc': 1})\n",
]


def _libcst_spans(text: str) -> dict[object, tuple[int, int]] | None:
    try:
        module = libcst.parse_module(text)
    except libcst.ParserSyntaxError:
        return None
    starts = [0, *(found.end() for found in re.finditer(r"\r\n?|\n", text))]

    def offset(line: int, column: int) -> int:
        return min(starts[line - 1] + column, len(text)) if line <= len(starts) else len(text)

    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    spans = {node: (offset(where.start.line, where.start.column), offset(where.end.line, where.end.column)) for node, where in positions.items()}
    keywords = {spans[keyword] for node in spans if isinstance(node, libcst.ClassDef) for keyword in node.keywords}
    return {node: span for node, span in spans.items() if not (isinstance(node, libcst.Arg) and span in keywords)}


def _compare(text: str) -> int:
    """Assert the two trees agree on ``text``; the number of nodes compared."""
    theirs = _libcst_spans(text)
    if theirs is None:
        return 0
    starts = [0, *(found.end() for found in re.finditer(r"\r\n?|\n", text))]
    ours = syntax.Tree(text, starts, ast.parse(text)).spans
    for name in SPANNED:
        expected = sorted(span for node, span in theirs.items() if type(node).__name__ == name)
        got = sorted(span for node, span in ours.items() if type(node).__name__ == name)
        assert got == expected, (name, text[:300], [text[a:b] for a, b in set(got) ^ set(expected)][:5])
    expected_order = [(type(node).__name__, span) for node, span in theirs.items() if type(node).__name__ in ORDERED]
    got_order = [(type(node).__name__, span) for node, span in ours.items() if type(node).__name__ in ORDERED]
    assert got_order == expected_order, text[:300]
    ours_commas = {span for node, span in ours.items() if isinstance(node, syntax.Comma)}
    assert ours_commas <= {span for node, span in theirs.items() if type(node).__name__ == "Comma"}
    return len(ours)


def test_shapes_agree_with_libcst() -> None:
    assert sum(_compare(text) for text in SHAPES) > 200


def _python_text(path: Path) -> str | None:
    """The module's text as Python decodes it (its PEP 263 declaration), None when Python cannot
    (the fixtures of modules Python refuses to decode)."""
    try:
        with tokenize.open(path) as handle:
            return handle.read()
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None


def test_fixtures_and_examples_agree_with_libcst() -> None:
    paths = sorted([*ROOT.glob("tests/fixtures/**/*.py"), *ROOT.glob("examples/**/*.py"), *ROOT.glob("benchmarks/*.py")])
    texts = [text for text in map(_python_text, paths) if text is not None]
    # libcst drops a byte order mark, so its first line is one short there: see the test below.
    compared = sum(_compare(text) for text in texts if not text.startswith("\ufeff"))
    assert compared > 10_000


def test_standard_library_modules_agree_with_libcst() -> None:
    """Real code beyond ours: a fixed sample of the running Python's own modules."""
    library = Path(ast.__file__).parent
    names = ["ast", "argparse", "configparser", "dataclasses", "functools", "json/decoder", "logging/__init__",
             "pathlib", "string", "textwrap", "typing", "urllib/parse", "shlex", "tokenize", "enum"]  # fmt: skip
    compared = 0
    for name in names:
        path = library / f"{name}.py"
        if path.exists():
            compared += _compare(path.read_text(encoding="utf-8"))
    assert compared > 50_000, compared


def test_deep_trees_are_built_without_recursion() -> None:
    """ast.parse takes 2,000 nested ``not`` (Python's recursion limit is 1,000): built, and
    its deepest node is a child of the one above it."""
    text = "x = " + "not " * 2000 + "y\n"
    tree = syntax.Tree(text, [0, len(text)], ast.parse(text))
    assert tree.depth > 2000
    names = [node for node in tree.spans if isinstance(node, syntax.Name) and node.value == "y"]
    assert len(names) == 1 and tree.parents[names[0]] is not None
    assert sys.getrecursionlimit() < tree.depth


def test_a_repeated_keyword_is_python_s_refusal_at_its_argument(tmp_path: Path) -> None:
    """ast.parse takes ``f(a=1, a=2)``; Python's compiler refuses it, so the document does, at
    the repeated argument's line and column (a fix writing one is refused by its re-check)."""
    from pgconf_fix.documents.python import PythonDocument
    from pgconf_fix.source import SourceFile

    source = SourceFile.from_bytes(tmp_path / "x.py", "x.py", b"import x\nf(a=1,\n  a=2)\n")
    assert PythonDocument(source).error == (3, 2, "not valid Python: keyword argument repeated: a")


def test_a_byte_order_mark_is_read_past() -> None:
    """A file that starts with a UTF-8 byte order mark is valid Python (the interpreter runs it;
    ``ast.parse`` of its text refuses U+FEFF): it is read, and every span is the one of the same
    module without the mark, one character later. (libcst drops the mark from its module, so its
    first line's positions are one short: compared here with the text without it.)"""
    plain = "import psycopg2; c = psycopg2.connect(host='db.example.com', dbname='x')\nif x: y = f(a=1)\n"
    marked = "\ufeff" + plain
    expected = syntax.Tree(plain, syntax.line_starts_of(plain), syntax.parse(plain)).spans
    got = syntax.Tree(marked, syntax.line_starts_of(marked), syntax.parse(marked)).spans
    assert sorted((type(node).__name__, start - 1, end - 1) for node, (start, end) in got.items() if type(node) is not syntax.Module) == sorted(
        (type(node).__name__, start, end) for node, (start, end) in expected.items() if type(node) is not syntax.Module
    )
    lines = [marked[start:end] for node, (start, end) in got.items() if isinstance(node, syntax.SimpleStatementLine)]
    assert lines == [plain.splitlines()[0]]
    assert syntax.string_groups(marked, syntax.parse(marked))[0] == [(marked.index("'db"), marked.index("'db") + len("'db.example.com'"))]


def test_string_groups_of_a_built_tree_are_those_of_a_walk() -> None:
    """The client layer reads a module's literals after the Python layer built its tree: the
    groups the build found on its way are those a walk of the tree finds, on the shapes (nested
    f-strings, implicit concatenation, a byte order mark), the fixtures and library modules."""
    nested = "u = f'a{x + \"b\" + f\"{y!r:{w}}\"}c' 'd'\nv = ('p'\n  f'{q[\"k\"]}')\nw = [f'{\"\"}', b'z']\n"
    library = Path(ast.__file__).parent
    paths = [*ROOT.glob("tests/fixtures/**/*.py"), *(library / f"{name}.py" for name in ("ast", "tokenize", "string"))]
    texts = [nested, "\ufeff" + nested, *SHAPES, *filter(None, map(_python_text, sorted(paths)))]
    compared = 0
    for text in texts:
        try:
            tree = syntax.parse(text)
        except (SyntaxError, ValueError):
            continue
        built = syntax.Tree(text, syntax.line_starts_of(text), tree)
        walked = syntax._walked_string_groups(text, tree)
        assert built.string_groups() == walked, text[:200]
        assert syntax.string_groups(text, tree) is syntax._LAST_GROUPS[0][2]  # given, not walked again
        compared += sum(map(len, walked))
    assert syntax.string_groups(nested, syntax.parse(nested)) == [[(4, 33), (34, 37)], [(43, 46), (49, 60)], [(67, 74)], [(76, 80)]]
    assert compared > 1_500, compared


def test_names_constants_and_numbers_agree_with_libcst() -> None:
    """The leaves most nodes are (names; None, True and False, which libcst reads as names;
    numbers and ``...``, an expression without children) are what libcst finds at their spans."""
    leaves = "a = None; b = True\nc = (False, 1, 2.5, 3j, ..., -4)\nif x is not None and y == False: f(z=True, w=0x1f)\n"
    paths = sorted([*ROOT.glob("tests/fixtures/python/**/*.py"), Path(ast.__file__).parent / "string.py"])
    compared = 0
    for text in [leaves, *SHAPES, *filter(None, map(_python_text, paths))]:
        theirs = _libcst_spans(text)
        if theirs is None:
            continue
        ours = syntax.Tree(text, syntax.line_starts_of(text), ast.parse(text)).spans
        their_names = {(span, node.value) for node, span in theirs.items() if type(node).__name__ == "Name"}
        our_names = {(span, node.value) for node, span in ours.items() if type(node) is syntax.Name}
        assert our_names <= their_names, sorted(our_names - their_names)[:5]
        constants = {(span, value) for span, value in their_names if value in ("None", "True", "False")}
        assert constants <= our_names, sorted(constants - our_names)[:5]
        numbers = {span for node, span in theirs.items() if type(node).__name__ in ("Integer", "Float", "Imaginary", "Ellipsis")}
        leaves_built = {span for node, span in ours.items() if type(node) is syntax.Expression and not node.children}
        assert numbers <= leaves_built, sorted(numbers - leaves_built)[:5]
        compared += len(our_names) + len(numbers)
    assert compared > 1_500, compared


def test_the_fields_left_unread_hold_no_node() -> None:
    """``node_fields`` leaves out the fields that hold a name, a number, a flag or a constant
    (issue 18, fourteenth pass): on every node of the fixtures, the examples, the project's
    own modules and a sample of the standard library, such a field holds no ast node, alone
    or in a list, so the walks over ``node_fields`` meet every node they met before."""
    library = Path(ast.__file__).parent
    paths = sorted([*ROOT.glob("tests/fixtures/**/*.py"), *ROOT.glob("examples/**/*.py"), *ROOT.glob("pgconf_fix/**/*.py")])
    paths += [library / f"{name}.py" for name in ("ast", "dataclasses", "typing", "enum", "inspect", "asyncio/tasks")]
    checked = 0
    for text in map(_python_text, paths):
        try:
            tree = ast.parse(text) if text is not None else None
        except (SyntaxError, ValueError):
            continue
        if tree is None:
            continue
        for node in ast.walk(tree):
            kept = syntax.node_fields(type(node))
            for name in node._fields:
                if name in kept or name in {"ctx", "op", "ops", "type_comment"}:
                    continue
                value = getattr(node, name, None)
                items = value if isinstance(value, list) else [value]
                assert not any(isinstance(item, ast.AST) for item in items), (type(node).__name__, name)
                checked += 1
    assert checked > 50_000, checked
